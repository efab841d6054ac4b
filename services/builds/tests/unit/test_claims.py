"""The protocol's token rules as pure functions: subjects, scopes, repositories, id prefixes on
dot boundaries, exact apps, and sub-tokens that can only narrow."""

from __future__ import annotations

import pytest

from builds.builds.access import BuildOperation, authorize_build, authorize_build_create, authorize_ref
from builds.builds.refs import parse_ref
from builds.tokens.claims import (
    Claims,
    Scope,
    TokenInsufficient,
    id_allowed,
    narrowing_problem,
    prefix_covers,
    repo_allowed,
    require,
    sub_covers,
)

EXP = 2_000_000_000


def claims(**values) -> Claims:
    values.setdefault("sub", "build")
    values.setdefault("exp", EXP)
    values["scope"] = frozenset(values.get("scope", ["build", "upload"]))
    for key in ("prefixes", "apps", "repos"):
        values[key] = tuple(values.get(key, ()))
    return Claims(**values)


@pytest.mark.parametrize(
    ("claimed", "required", "covered"),
    [
        ("build", "build", True),
        ("build", "build/7", True),
        ("build", "build/7/check", True),
        ("build/7", "build/7", True),
        ("build/7", "build/7/check", True),
        ("build/7", "build", False),
        ("build/7", "build/70", False),
        ("build/7", "build/8", False),
        ("build", "buildx", False),
        ("", "", True),
        ("", "build", False),
        ("build", "", False),
    ],
)
def test_sub_covers_path_wise(claimed, required, covered):
    assert sub_covers(claimed, required) is covered


@pytest.mark.parametrize(
    ("prefix", "app_id", "covered"),
    [
        ("org.foo", "org.foo", True),
        ("org.foo", "org.foo.bar", True),
        ("org.foo", "org.foo.bar.Baz", True),
        ("org.foo", "org.foobar", False),
        ("org.foo", "org.fo", False),
        ("org.foo", "org", False),
        ("org.foo.bar", "org.foo", False),
        ("", "org.anything", True),
    ],
)
def test_prefixes_match_on_dot_boundaries(prefix, app_id, covered):
    assert prefix_covers(prefix, app_id) is covered


def test_ids_allowed_by_prefixes_and_exact_apps():
    token = claims(prefixes=["org.foo"], apps=["com.example.Exact"])
    assert id_allowed(token, "org.foo.App")
    assert id_allowed(token, "com.example.Exact")
    assert not id_allowed(token, "org.foobar.App")
    assert not id_allowed(token, "com.example.Exact.Locale")  # apps match exactly
    assert not id_allowed(token, "com.example.Other")


def test_every_id_is_allowed_by_an_empty_prefix_or_no_restriction_at_all():
    assert id_allowed(claims(prefixes=[""]), "org.any.App")
    assert id_allowed(claims(), "org.any.App")
    # apps alone restrict (flat-manager would allow every id here)
    assert not id_allowed(claims(apps=["org.only.This"]), "org.any.App")


@pytest.mark.parametrize(
    ("repos", "repo", "allowed"),
    [
        ([""], "stable", True),
        (["stable"], "stable", True),
        (["beta"], "stable", False),
        ([], "stable", False),
    ],
)
def test_repos_hold_the_name_or_the_empty_string(repos, repo, allowed):
    assert repo_allowed(claims(repos=repos), repo) is allowed


def test_require_checks_subject_and_scope():
    token = claims(sub="build/7", scope=["upload"])
    require(token, sub="build/7", scopes=[Scope.UPLOAD])
    require(token, sub="build/7", scopes=[Scope.BUILD, Scope.UPLOAD])  # one of them suffices
    with pytest.raises(TokenInsufficient, match="scope"):
        require(token, sub="build/7", scopes=[Scope.PUBLISH])
    with pytest.raises(TokenInsufficient, match="sub"):
        require(token, sub="build", scopes=[Scope.UPLOAD])
    with pytest.raises(TokenInsufficient, match="sub"):
        require(token, sub="build/8", scopes=[Scope.UPLOAD])


class _Build:  # what authorize_build reads of a build
    def __init__(self, id, repo, app_id):
        self.id, self.app_id = id, app_id
        self.repository = type("R", (), {"name": repo})()


@pytest.mark.parametrize(
    ("token", "operation", "allowed"),
    [
        (claims(repos=[""], scope=["upload"]), BuildOperation.UPLOAD, True),
        (claims(repos=[""], scope=["upload"]), BuildOperation.READ, True),
        (claims(repos=[""], scope=["upload"]), BuildOperation.COMMIT, False),
        (claims(repos=[""], scope=["build"]), BuildOperation.PUBLISH, False),
        (claims(repos=[""], scope=["publish"]), BuildOperation.PUBLISH, True),
        (claims(repos=["beta"], scope=["build"]), BuildOperation.COMMIT, False),
        (claims(sub="build/8", repos=[""], scope=["build"]), BuildOperation.COMMIT, False),
        (claims(sub="build/7", repos=["stable"], scope=["build"]), BuildOperation.PURGE, True),
        (claims(repos=[""], scope=["build"], prefixes=["org.foobar"]), BuildOperation.READ, False),
        (claims(repos=[""], scope=["build"], prefixes=["org.foo"]), BuildOperation.READ, True),
    ],
)
def test_authorize_build(token, operation, allowed):
    build = _Build(7, "stable", "org.foo.App")
    if allowed:
        authorize_build(token, build, operation)
    else:
        with pytest.raises(TokenInsufficient):
            authorize_build(token, build, operation)


def test_creating_a_build_needs_subject_build_the_repo_and_the_app_prefix():
    token = claims(repos=["stable"], scope=["build"], prefixes=["org.foo"])
    authorize_build_create(token, repository="stable", app_id="org.foo.App")
    authorize_build_create(token, repository="stable", app_id=None)
    for kwargs in (
        {"repository": "beta", "app_id": None},
        {"repository": "stable", "app_id": "org.foobar.App"},
    ):
        with pytest.raises(TokenInsufficient):
            authorize_build_create(token, **kwargs)
    with pytest.raises(TokenInsufficient):
        authorize_build_create(
            claims(sub="build/1", repos=[""], scope=["build"]), repository="stable", app_id=None
        )


def test_refs_must_be_within_the_token_ids():
    token = claims(prefixes=["org.foo"])
    authorize_ref(token, parse_ref("app/org.foo.App/x86_64/stable"))
    authorize_ref(token, parse_ref("runtime/org.foo.App.Locale/x86_64/stable"))
    authorize_ref(token, parse_ref("screenshots/x86_64"))  # carries no id
    with pytest.raises(TokenInsufficient):
        authorize_ref(token, parse_ref("app/org.foobar.App/x86_64/stable"))


# -- sub-tokens ----------------------------------------------------------------------------

PARENT = claims(
    sub="build",
    scope=["build", "upload", "publish"],
    prefixes=["org.foo"],
    apps=["com.x.Y"],
    repos=["stable"],
)


def narrowing(**child):
    child.setdefault("sub", "build/3")
    child.setdefault("scope", ["upload"])
    child.setdefault("exp", EXP - 10)
    child.setdefault("prefixes", None)
    child.setdefault("apps", None)
    child.setdefault("repos", None)
    return narrowing_problem(PARENT, **child)


@pytest.mark.parametrize(
    "child",
    [
        {},
        {"sub": "build"},
        {"scope": ["build", "upload", "publish"]},
        {"exp": EXP},
        {"prefixes": ["org.foo"]},
        {"prefixes": ["org.foo.bar"]},
        {"prefixes": [], "apps": ["org.foo.Exact"]},
        {"apps": ["com.x.Y"]},
        {"repos": ["stable"]},
        {"repos": []},
    ],
)
def test_a_sub_token_may_narrow(child):
    assert narrowing(**child) is None


@pytest.mark.parametrize(
    ("child", "problem"),
    [
        ({"sub": "repo"}, "sub"),
        ({"sub": ""}, "sub"),
        ({"scope": ["jobs"]}, "scopes"),
        ({"scope": ["upload", "tokenmanagement"]}, "scopes"),
        ({"exp": EXP + 1}, "expire"),
        ({"prefixes": ["org.foobar"]}, "ids"),
        ({"prefixes": ["org"]}, "ids"),
        ({"prefixes": [""]}, "every id"),
        ({"prefixes": [], "apps": []}, "every id"),
        ({"apps": ["com.x.Z"]}, "ids"),
        ({"prefixes": ["com.x.Y"]}, "ids"),  # an exact app does not make a prefix
        ({"repos": ["beta"]}, "repos"),
        ({"repos": [""]}, "repos"),
    ],
)
def test_a_sub_token_can_never_widen(child, problem):
    assert problem in narrowing(**child)


def test_a_parent_allowing_everything_allows_any_narrower_child():
    parent = claims(sub="build", scope=["build"], prefixes=[""], repos=[""])
    assert (
        narrowing_problem(
            parent, sub="build/1", scope=["build"], exp=EXP, prefixes=["org.x"], apps=None, repos=["a"]
        )
        is None
    )
    assert (
        narrowing_problem(
            parent, sub="build/1", scope=["build"], exp=EXP, prefixes=None, apps=None, repos=[""]
        )
        is None
    )


def test_claims_round_trip_and_malformed_payloads():
    token = claims(jti="abc", token_type="app", prefixes=["org.foo"], repos=[""])
    assert Claims.from_payload(token.payload()) == token
    for bad in (
        {"sub": 1, "exp": 1},
        {"sub": "build", "exp": "1"},
        {"sub": "build", "exp": 1, "scope": "build"},
    ):
        with pytest.raises(ValueError):
            Claims.from_payload(bad)
    # unknown scopes are carried but grant nothing
    odd = Claims.from_payload({"sub": "build", "exp": 1, "scope": ["build", "teleport"]})
    assert "teleport" in odd.scope
