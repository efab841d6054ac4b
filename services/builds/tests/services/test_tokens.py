"""Build tokens: issued as flat-manager's HS256 JWTs, verified with immediate revocation,
narrowed (never widened) into sub-tokens."""

from __future__ import annotations

import time

import jwt
import pytest

from builds.tokens.claims import Claims, TokenInsufficient
from builds.tokens.errors import TokenInvalid
from builds.tokens.models import BuildToken
from builds.tokens.selectors import token_verify
from builds.tokens.services import token_issue, token_revoke, token_subset
from servicekit.envelope.errors import ApplicationError

pytestmark = pytest.mark.django_db

STAFF = "6f1f3d44-43a1-4f59-8d1c-6a3f0a8b9c01"


def issue(**overrides):
    values = {
        "name": "ci",
        "sub": "build",
        "scope": ["build", "upload", "publish"],
        "duration": 3600,
        "repos": ["stable"],
        "prefixes": ["org.foo"],
        "issued_by": STAFF,
    }
    return token_issue(**{**values, **overrides})


def test_issue_signs_flat_managers_claims_with_the_configured_secret(settings):
    issued = issue(token_type="app")

    payload = jwt.decode(issued.token, settings.BUILDS["TOKEN_SECRET"], algorithms=["HS256"])
    assert payload == {
        "sub": "build",
        "exp": payload["exp"],
        "name": "ci",
        "jti": issued.jti,
        "scope": ["build", "publish", "upload"],
        "prefixes": ["org.foo"],
        "apps": [],
        "repos": ["stable"],
        "token_type": "app",
    }
    assert abs(payload["exp"] - (time.time() + 3600)) < 5
    row = BuildToken.objects.get(jti=issued.jti)
    assert (row.name, row.sub, row.issued_by, row.revoked_at) == ("ci", "build", STAFF, None)
    assert abs(row.expires_at.timestamp() - payload["exp"]) < 1


def test_verify_returns_the_claims_and_the_issuer():
    issued = issue()

    claims = token_verify(issued.token)

    assert claims == issued.claims
    assert claims.issued_by == STAFF
    assert claims.repos == ("stable",)


def test_verify_refuses_a_wrong_signature_an_expired_or_malformed_token(settings):
    issued = issue(duration=60)
    forged = jwt.encode(
        {"sub": "build", "exp": int(time.time()) + 60, "scope": ["build"]},
        "another-secret-of-thirty-two-bytes",
        algorithm="HS256",
    )
    none_alg = jwt.encode({"sub": "build", "exp": int(time.time()) + 60}, None, algorithm="none")
    no_exp = jwt.encode({"sub": "build"}, settings.BUILDS["TOKEN_SECRET"], algorithm="HS256")
    bad_claim = jwt.encode(
        {"sub": "build", "exp": int(time.time()) + 60, "scope": "build"}, settings.BUILDS["TOKEN_SECRET"]
    )

    for token in (forged, none_alg, no_exp, bad_claim, "not-a-jwt", ""):
        with pytest.raises(TokenInvalid):
            token_verify(token)
    with pytest.raises(TokenInvalid, match="expired"):
        token_verify(issued.token, now=time.time() + 61)


def test_a_token_signed_elsewhere_with_the_secret_is_accepted_and_can_be_revoked(settings):
    """flat-manager's gentoken issues tokens this service has no row for."""
    secret = settings.BUILDS["TOKEN_SECRET"]
    payload = {
        "sub": "build",
        "exp": int(time.time()) + 60,
        "scope": ["build"],
        "name": "gentoken",
        "jti": "ext-1",
    }
    external = jwt.encode(payload, secret, algorithm="HS256")
    without_jti = jwt.encode({k: v for k, v in payload.items() if k != "jti"}, secret, algorithm="HS256")

    assert token_verify(external).name == "gentoken"
    assert token_verify(without_jti).jti is None

    assert token_revoke(jti="ext-1", revoked_by=STAFF) == 1
    with pytest.raises(TokenInvalid, match="revoked"):
        token_verify(external)


def test_revocation_is_immediate_idempotent_and_reaches_sub_tokens():
    parent = issue()
    child = token_subset(
        parent=token_verify(parent.token), name="job", sub="build/9", scope=["upload"], duration=60
    )
    grandchild = token_subset(
        parent=token_verify(child.token), name="step", sub="build/9", scope=["upload"], duration=30
    )
    sibling = issue(name="other")

    assert token_revoke(jti=parent.jti, revoked_by=STAFF) == 3
    assert token_revoke(jti=parent.jti, revoked_by=STAFF) == 0

    for issued in (parent, child, grandchild):
        with pytest.raises(TokenInvalid, match="revoked"):
            token_verify(issued.token)
    assert token_verify(sibling.token).name == "other"
    assert BuildToken.objects.get(jti=parent.jti).revoked_by == STAFF


def test_revoking_a_sub_token_leaves_its_parent():
    parent = issue()
    child = token_subset(
        parent=token_verify(parent.token), name="job", sub="build/9", scope=["upload"], duration=60
    )

    token_revoke(jti=child.jti)

    assert token_verify(parent.token).jti == parent.jti
    with pytest.raises(TokenInvalid):
        token_verify(child.token)


def test_subset_narrows_and_inherits():
    parent = issue(token_type="app")

    child = token_subset(
        parent=token_verify(parent.token), name="upload-step", sub="build/12", scope=["upload"], duration=600
    )

    claims = token_verify(child.token)
    assert claims.sub == "build/12"
    assert claims.scope == frozenset({"upload"})
    assert claims.name == "ci/upload-step"
    assert (claims.prefixes, claims.repos, claims.token_type) == (("org.foo",), ("stable",), "app")
    assert claims.jti != parent.jti
    assert claims.exp <= parent.claims.exp
    assert claims.issued_by == STAFF
    row = BuildToken.objects.get(jti=child.jti)
    assert (row.parent_id, row.ancestors) == (parent.jti, [parent.jti])


@pytest.mark.parametrize(
    "wider",
    [
        {"scope": ["upload", "jobs"]},
        {"sub": "repo"},
        {"duration": 7200},
        {"prefixes": ["org.foobar"]},
        {"prefixes": [""]},
        {"repos": ["beta"]},
        {"repos": [""]},
        {"apps": ["org.other.App"]},
    ],
)
def test_subset_refuses_anything_wider_and_records_nothing(wider):
    parent = token_verify(issue(duration=3600).token)
    before = BuildToken.objects.count()
    request = {"name": "x", "sub": "build/1", "scope": ["upload"], "duration": 60, **wider}

    with pytest.raises(TokenInsufficient, match="Not a subset"):
        token_subset(parent=parent, **request)

    assert BuildToken.objects.count() == before


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("scope", ["teleport"]),
        ("scope", []),
        ("duration", 0),
        ("duration", -5),
        ("duration", "60"),
        ("repos", ["../etc"]),
        ("prefixes", ["org foo"]),
        ("apps", [""]),
        ("sub", "build 1"),
        ("name", "x" * 300),
    ],
)
def test_issue_validates_every_claim_and_records_nothing(field, value):
    with pytest.raises(ApplicationError) as error:
        issue(**{field: value})

    assert error.value.code == "validation_error"
    assert field in error.value.details
    assert not BuildToken.objects.exists()


def test_claims_type_is_frozen():
    claims = issue().claims
    assert isinstance(claims, Claims)
    with pytest.raises(AttributeError):
        claims.sub = "other"  # type: ignore[misc]
