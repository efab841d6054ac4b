"""Build-token writes: issue, derive a narrower sub-token, revoke.

Issued tokens get a row (``BuildToken``) keyed by their ``jti``; verification
(``selectors.token_verify``) reads it, so a revocation takes effect on the next request.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from builds.storage.layout import REPOSITORY_NAME
from builds.tokens import codec
from builds.tokens.claims import SCOPES, Claims, TokenInsufficient, narrowing_problem
from builds.tokens.models import BuildToken
from builds.validation import ID_PREFIX, invalid, matches

MAX_DURATION_SECONDS = 10 * 366 * 24 * 3600
_SUB = re.compile(r"[A-Za-z0-9._:@/-]{0,255}")


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token: str
    jti: str
    expires_at: datetime
    claims: Claims


@transaction.atomic
def token_issue(
    *,
    name: str,
    sub: str,
    scope: Iterable[str],
    duration: int,
    repos: Iterable[str] = ("",),
    prefixes: Iterable[str] = (),
    apps: Iterable[str] = (),
    token_type: str | None = None,
    issued_by: str = "",
    now: float | None = None,
) -> IssuedToken:
    """A new token (``duration`` seconds from now) and its row."""
    claims = Claims(
        sub=sub,
        exp=_expiry(duration, now),
        name=name,
        jti=uuid.uuid4().hex,
        scope=frozenset(scope),
        prefixes=tuple(prefixes),
        apps=tuple(apps),
        repos=tuple(repos),
        token_type=token_type,
    )
    _validate(claims)
    return _record(claims, issued_by=issued_by, parent=None)


@transaction.atomic
def token_subset(
    *,
    parent: Claims,
    name: str,
    sub: str,
    scope: Iterable[str],
    duration: int,
    prefixes: Iterable[str] | None = None,
    apps: Iterable[str] | None = None,
    repos: Iterable[str] | None = None,
    now: float | None = None,
) -> IssuedToken:
    """A sub-token of ``parent`` (verified claims) that can only be narrower.

    ``None`` for ``prefixes``/``apps``/``repos`` keeps the parent's. Its name is
    ``<parent name>/<name>`` (as flat-manager), its type the parent's; it has its own ``jti``
    and is revoked with its parent. Raises :class:`TokenInsufficient` when it would be wider.
    """
    scope = frozenset(scope)
    exp = _expiry(duration, now)
    problem = narrowing_problem(
        parent, sub=sub, scope=scope, exp=exp, prefixes=prefixes, apps=apps, repos=repos
    )
    if problem:
        raise TokenInsufficient(f"Not a subset of the token: {problem}")
    claims = Claims(
        sub=sub,
        exp=exp,
        name=f"{parent.name}/{name}",
        jti=uuid.uuid4().hex,
        scope=scope,
        prefixes=parent.prefixes if prefixes is None else tuple(prefixes),
        apps=parent.apps if apps is None else tuple(apps),
        repos=parent.repos if repos is None else tuple(repos),
        token_type=parent.token_type,
    )
    _validate(claims)
    parent_row = BuildToken.objects.filter(jti=parent.jti).first() if parent.jti else None
    return _record(claims, issued_by=parent.issued_by or "", parent=parent_row)


@transaction.atomic
def token_revoke(*, jti: str, revoked_by: str = "") -> int:
    """Revoke ``jti`` and every token derived from it; returns how many rows were revoked now.

    Idempotent. A ``jti`` this service never issued (a token signed elsewhere with the same
    secret) gets a revoked row, which is what verification checks.
    """
    if not isinstance(jti, str) or not 1 <= len(jti) <= 64:
        raise invalid("jti", "Must be 1 to 64 characters.")
    now = timezone.now()
    _, created = BuildToken.objects.get_or_create(
        jti=jti, defaults={"revoked_at": now, "revoked_by": revoked_by, "name": "(revoked, not issued here)"}
    )
    revoked = BuildToken.objects.filter(
        Q(jti=jti) | Q(ancestors__contains=[jti]), revoked_at__isnull=True
    ).update(revoked_at=now, revoked_by=revoked_by)
    return revoked + int(created)


def _record(claims: Claims, *, issued_by: str, parent: BuildToken | None) -> IssuedToken:
    expires_at = datetime.fromtimestamp(claims.exp, tz=UTC)
    BuildToken.objects.create(
        jti=claims.jti,
        name=claims.name[:255],
        sub=claims.sub,
        scope=sorted(claims.scope),
        prefixes=list(claims.prefixes),
        apps=list(claims.apps),
        repos=list(claims.repos),
        token_type=claims.token_type or "",
        expires_at=expires_at,
        issued_by=issued_by,
        parent=parent,
        ancestors=[*parent.ancestors, parent.jti] if parent else [],
    )
    claims = replace(claims, issued_by=issued_by or None)
    return IssuedToken(token=codec.encode(claims), jti=claims.jti, expires_at=expires_at, claims=claims)


def _expiry(duration: int, now: float | None) -> int:
    if (
        not isinstance(duration, int)
        or isinstance(duration, bool)
        or not 1 <= duration <= MAX_DURATION_SECONDS
    ):
        raise invalid("duration", f"Must be a whole number of seconds from 1 to {MAX_DURATION_SECONDS}.")
    return int(timezone.now().timestamp() if now is None else now) + duration


def _validate(claims: Claims) -> None:
    if not isinstance(claims.name, str) or len(claims.name) > 255 or not claims.name.isprintable():
        raise invalid("name", "At most 255 printable characters.")
    if not isinstance(claims.sub, str) or not _SUB.fullmatch(claims.sub):
        raise invalid("sub", "Not a subject (e.g. build or build/12).")
    unknown = sorted(str(scope) for scope in claims.scope if scope not in SCOPES)
    if unknown or not claims.scope:
        raise invalid("scope", f"One or more of {sorted(SCOPES)}; unknown: {unknown}.")
    if any(repo != "" and not matches(REPOSITORY_NAME, repo) for repo in claims.repos):
        raise invalid("repos", 'Repository names, or "" for every repository.')
    if any(prefix != "" and not matches(ID_PREFIX, prefix) for prefix in claims.prefixes):
        raise invalid("prefixes", 'Id prefixes (e.g. org.example), or "" for every id.')
    if any(not matches(ID_PREFIX, app) for app in claims.apps):
        raise invalid("apps", "Application ids (e.g. org.example.App).")
    if claims.token_type is not None and not matches(ID_PREFIX, claims.token_type):
        raise invalid("token_type", "A short word, e.g. app.")
