"""Build-token reads: verification (signature, expiry, revocation) and listing."""

from __future__ import annotations

from dataclasses import replace

from django.db.models import QuerySet

from builds.tokens import codec
from builds.tokens.claims import Claims
from builds.tokens.errors import TokenErrorCode, TokenInvalid
from builds.tokens.models import BuildToken
from servicekit.envelope.errors import NotFound


def token_verify(token: str, *, now: float | None = None) -> Claims:
    """The claims of a token this service accepts right now; :class:`TokenInvalid` otherwise.

    One indexed read when the token has a ``jti`` (revocation must be immediate, so it is not
    cached); tokens without one (flat-manager's ``gentoken`` issues those) cannot be revoked.
    """
    if not isinstance(token, str) or not token:
        raise TokenInvalid("No token value in header")
    claims = codec.decode(token, now=now)
    if claims.jti is None:
        return claims
    row = BuildToken.objects.filter(jti=claims.jti).values("revoked_at", "issued_by").first()
    if row is None:
        return claims
    if row["revoked_at"] is not None:
        raise TokenInvalid("Token has been revoked")
    return replace(claims, issued_by=row["issued_by"] or None)


def token_list(*, include_revoked: bool = True) -> QuerySet[BuildToken]:
    tokens = BuildToken.objects.all()
    return tokens if include_revoked else tokens.filter(revoked_at__isnull=True)


def token_get(*, jti: str) -> BuildToken:
    token = BuildToken.objects.filter(jti=jti).first()
    if token is None:
        raise NotFound("No such token.", code=TokenErrorCode.NOT_FOUND)
    return token
