"""Build-token claims and the protocol's permission rules, as pure functions.

The claims are flat-manager's: ``sub`` (``build`` covers every build, ``build/<id>`` one build and
what is under it), ``exp``, ``name``, ``jti``, ``scope``, ``prefixes``, ``apps``, ``repos`` and
``token_type``. The rules:

- ``sub`` covers a required subject path-wise: ``build`` covers ``build`` and ``build/7``;
  ``build/7`` covers ``build/7`` and ``build/7/...``, never ``build`` or ``build/70``.
- ``repos`` must hold ``""`` (every repository) or the repository's name; an empty list matches
  nothing.
- ``prefixes`` match ids on dot boundaries: ``org.foo`` covers ``org.foo`` and ``org.foo.bar``,
  not ``org.foobar``; ``""`` covers every id. ``apps`` match exactly. A token with neither
  prefixes nor apps allows every id (flat-manager's rule for an empty prefix list); one that
  lists only ``apps`` allows just those, where flat-manager would allow everything.
- A sub-token can only narrow: its subject under the parent's, its scopes, repositories and ids
  within the parent's, and its expiry no later.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from rest_framework import status

from builds.tokens.errors import TokenErrorCode
from servicekit.envelope.errors import ApplicationError


class Scope(StrEnum):
    JOBS = "jobs"
    BUILD = "build"
    UPLOAD = "upload"
    PUBLISH = "publish"
    GENERATE = "generate"
    DOWNLOAD = "download"
    REPUBLISH = "republish"
    REVIEW_CHECK = "reviewcheck"
    TOKEN_MANAGEMENT = "tokenmanagement"


SCOPES = frozenset(Scope)


class TokenInsufficient(ApplicationError):
    """The token is valid but does not allow this (flat-manager's 403 ``token-insufficient``)."""

    status_code = status.HTTP_403_FORBIDDEN
    code = TokenErrorCode.TOKEN_INSUFFICIENT


@dataclass(frozen=True, slots=True)
class Claims:
    sub: str
    exp: int
    name: str = ""
    jti: str | None = None
    scope: frozenset[str] = frozenset()
    prefixes: tuple[str, ...] = ()
    apps: tuple[str, ...] = ()
    repos: tuple[str, ...] = ()
    token_type: str | None = None
    # Not a claim: who issued the token, when this service did (from its row), for events.
    issued_by: str | None = field(default=None, compare=False)

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any], *, issued_by: str | None = None) -> Claims:
        """Claims of a decoded token; raises ValueError on a malformed claim. Unknown scopes
        are kept but grant nothing (flat-manager ignores them too)."""
        sub, exp = payload.get("sub"), payload.get("exp")
        if not isinstance(sub, str):
            raise ValueError("sub must be a string")
        if not isinstance(exp, int) or isinstance(exp, bool):
            raise ValueError("exp must be an integer")
        name, jti, token_type = payload.get("name"), payload.get("jti"), payload.get("token_type")
        for label, value in (("name", name), ("jti", jti), ("token_type", token_type)):
            if value is not None and not isinstance(value, str):
                raise ValueError(f"{label} must be a string")
        return cls(
            sub=sub,
            exp=exp,
            name=name or "",
            jti=jti or None,
            scope=frozenset(_strings(payload, "scope")),
            prefixes=_strings(payload, "prefixes"),
            apps=_strings(payload, "apps"),
            repos=_strings(payload, "repos"),
            token_type=token_type,
            issued_by=issued_by,
        )

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "sub": self.sub,
            "exp": self.exp,
            "name": self.name,
            "scope": sorted(self.scope),
            "prefixes": list(self.prefixes),
            "apps": list(self.apps),
            "repos": list(self.repos),
        }
        if self.jti:
            body["jti"] = self.jti
        if self.token_type is not None:
            body["token_type"] = self.token_type
        return body


def _strings(payload: Mapping[str, Any], key: str) -> tuple[str, ...]:
    value = payload.get(key) or []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError(f"{key} must be a list of strings")
    return tuple(value)


# -- matching ----------------------------------------------------------------------------


def sub_covers(claimed: str, required: str) -> bool:
    """``claimed`` is ``required`` or a path prefix of it (``build`` covers ``build/7``; the
    management subject ``""`` covers only ``""``)."""
    if not required.startswith(claimed):
        return False
    rest = required[len(claimed) :]
    return rest == "" or rest.startswith("/")


def prefix_covers(prefix: str, app_id: str) -> bool:
    """``org.foo`` covers ``org.foo`` and ``org.foo.bar``, not ``org.foobar``; ``""`` covers all."""
    if prefix == "":
        return True
    return app_id == prefix or app_id.startswith(prefix + ".")


def allows_every_id(claims: Claims) -> bool:
    return "" in claims.prefixes or (not claims.prefixes and not claims.apps)


def id_allowed(claims: Claims, app_id: str) -> bool:
    if allows_every_id(claims):
        return True
    return app_id in claims.apps or any(prefix_covers(prefix, app_id) for prefix in claims.prefixes)


def repo_allowed(claims: Claims, repo: str) -> bool:
    return "" in claims.repos or repo in claims.repos


# -- requirements (raise TokenInsufficient) ------------------------------------------------


def require(claims: Claims, *, sub: str, scopes: Iterable[Scope]) -> None:
    """The token's subject covers ``sub`` and it holds at least one of ``scopes``."""
    scopes = list(scopes)
    if not sub_covers(claims.sub, sub):
        raise TokenInsufficient(f"Not matching sub '{sub}' in token")
    if claims.scope.isdisjoint(scopes):
        raise TokenInsufficient(f"Not matching scope '{'/'.join(scopes)}' in token")


def require_repo(claims: Claims, repo: str) -> None:
    if not repo_allowed(claims, repo):
        raise TokenInsufficient("Not matching repo in token")


def require_id(claims: Claims, app_id: str) -> None:
    if not id_allowed(claims, app_id):
        raise TokenInsufficient(f"Id {app_id} not matching prefix in token")


# -- sub-tokens ----------------------------------------------------------------------------


def narrowing_problem(
    parent: Claims,
    *,
    sub: str,
    scope: Iterable[str],
    exp: int,
    prefixes: Iterable[str] | None,
    apps: Iterable[str] | None,
    repos: Iterable[str] | None,
) -> str | None:
    """Why a sub-token with these claims would be wider than ``parent`` (None: it is not).

    ``None`` for ``prefixes``/``apps``/``repos`` means "inherit the parent's".
    """
    if not sub_covers(parent.sub, sub):
        return f"sub '{sub}' is not under '{parent.sub}'"
    wider_scopes = sorted(set(scope) - parent.scope)
    if wider_scopes:
        return f"scopes {wider_scopes} are not in the token"
    if exp > parent.exp:
        return "the sub-token would expire after the token"
    if repos is not None:
        wider_repos = [repo for repo in repos if not _repo_within(repo, parent)]
        if wider_repos:
            return f"repos {wider_repos} are not in the token"
    child = Claims(
        sub=sub,
        exp=exp,
        prefixes=parent.prefixes if prefixes is None else tuple(prefixes),
        apps=parent.apps if apps is None else tuple(apps),
    )
    if allows_every_id(parent):
        return None
    if allows_every_id(child):
        return "the sub-token would allow every id"
    wider_prefixes = [p for p in child.prefixes if not any(prefix_covers(q, p) for q in parent.prefixes)]
    wider_apps = [a for a in child.apps if not id_allowed(parent, a)]
    if wider_prefixes or wider_apps:
        return f"ids {wider_prefixes + wider_apps} are not covered by the token"
    return None


def _repo_within(repo: str, parent: Claims) -> bool:
    # "" (every repository) is only within a parent that allows every repository.
    return "" in parent.repos if repo == "" else repo_allowed(parent, repo)
