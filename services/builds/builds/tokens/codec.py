"""Encoding and decoding build tokens: HS256 JWTs signed with ``BUILDS_TOKEN_SECRET``, the
form flat-manager and its clients use (clients treat them as opaque)."""

from __future__ import annotations

import time
from typing import Any

import jwt
from django.conf import settings

from builds.tokens.claims import Claims
from builds.tokens.errors import TokenInvalid

ALGORITHM = "HS256"


def encode(claims: Claims) -> str:
    return jwt.encode(claims.payload(), settings.BUILDS["TOKEN_SECRET"], algorithm=ALGORITHM)


def decode(token: str, *, now: float | None = None) -> Claims:
    """The claims of a well-signed, unexpired token; :class:`TokenInvalid` otherwise."""
    try:
        payload: dict[str, Any] = jwt.decode(
            token,
            settings.BUILDS["TOKEN_SECRET"],
            algorithms=[ALGORITHM],
            options={"require": ["sub", "exp"], "verify_exp": False, "verify_aud": False},
        )
        claims = Claims.from_payload(payload)
    except (jwt.InvalidTokenError, ValueError):
        raise TokenInvalid("Invalid token claims") from None
    if claims.exp < (time.time() if now is None else now):
        raise TokenInvalid("Token is expired")
    return claims
