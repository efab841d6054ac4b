"""Encode identity's tokens and decode the ones it gets back (refresh tokens).

Claims follow ARCHITECTURE.md section 5: ``sub``, ``roles``, ``scope``, ``iss``, ``aud``,
``exp``, ``iat``, ``nbf``, ``jti``, ``token_type`` and ``kid`` in the header. Other
services verify access tokens with servicekit.auth against the JWKS; only identity ever
decodes a refresh token (servicekit rejects ``token_type: refresh`` as an access token).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import jwt
from django.conf import settings
from django.utils import timezone
from jwt.exceptions import ExpiredSignatureError, InvalidTokenError

from identity.accounts.models import User
from identity.tokens.errors import TokenErrorCode
from identity.tokens.keys import ALGORITHM, current_keyring
from servicekit.envelope.errors import ApplicationError

ACCESS = "access"
REFRESH = "refresh"


@dataclass(frozen=True)
class SignedToken:
    token: str
    jti: str
    expires_at: datetime


def token_error(message: str, code: TokenErrorCode) -> ApplicationError:
    return ApplicationError(message, code=code, status_code=401)


def _jwt_conf() -> dict[str, Any]:
    return settings.SERVICEKIT["JWT"]


def _sign(claims: dict[str, Any]) -> str:
    keyring = current_keyring()
    return jwt.encode(claims, keyring.signing_key, algorithm=ALGORITHM, headers={"kid": keyring.signing_kid})


def _registered_claims(*, subject: str, token_type: str, lifetime: int, jti: str) -> dict[str, Any]:
    now = timezone.now()
    return {
        "iss": _jwt_conf()["ISSUER"],
        "aud": _jwt_conf()["AUDIENCE"],
        "sub": subject,
        "iat": now,
        "nbf": now,
        "exp": now + timedelta(seconds=lifetime),
        "jti": jti,
        "token_type": token_type,
    }


def access_token_sign(user: User) -> SignedToken:
    jti = uuid.uuid4().hex
    claims = _registered_claims(
        subject=str(user.pk),
        token_type=ACCESS,
        lifetime=settings.IDENTITY["ACCESS_TOKEN_SECONDS"],
        jti=jti,
    )
    claims["roles"] = list(user.roles)
    claims["scope"] = " ".join(settings.IDENTITY["USER_TOKEN_SCOPES"])
    return SignedToken(token=_sign(claims), jti=jti, expires_at=claims["exp"])


def refresh_token_sign(*, user: User, jti: uuid.UUID) -> SignedToken:
    claims = _registered_claims(
        subject=str(user.pk),
        token_type=REFRESH,
        lifetime=settings.IDENTITY["REFRESH_TOKEN_SECONDS"],
        jti=str(jti),
    )
    return SignedToken(token=_sign(claims), jti=str(jti), expires_at=claims["exp"])


def refresh_token_decode(token: str) -> dict[str, Any]:
    """The claims of a refresh token identity signed with a key it still trusts."""
    try:
        kid = jwt.get_unverified_header(token).get("kid")
        key = current_keyring().public_key(kid) if isinstance(kid, str) else None
        if key is None:
            raise InvalidTokenError("unknown kid")
        claims = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],  # from configuration, never from the header
            audience=_jwt_conf()["AUDIENCE"],
            issuer=_jwt_conf()["ISSUER"],
            leeway=_jwt_conf()["LEEWAY_SECONDS"],
            options={"require": ["exp", "iat", "sub", "jti", "iss", "aud"]},
        )
    except ExpiredSignatureError:
        raise token_error("Refresh token has expired.", TokenErrorCode.TOKEN_EXPIRED) from None
    except InvalidTokenError:
        raise token_error("Refresh token is invalid.", TokenErrorCode.TOKEN_INVALID) from None
    if claims.get("token_type") != REFRESH:
        raise token_error("Not a refresh token.", TokenErrorCode.TOKEN_INVALID)
    return claims
