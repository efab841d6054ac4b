"""Verify identity's access tokens locally: RS256 against the cached JWKS, contract claims.

The accepted algorithms come from configuration only, never from the token header
(RFC 8725 §2.1): ``alg: none`` and HS256-signed-with-the-public-key are rejected before any
verification is attempted.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

import jwt
from django.conf import settings
from jwt.exceptions import ExpiredSignatureError, ImmatureSignatureError, InvalidTokenError
from rest_framework.exceptions import AuthenticationFailed

from servicekit.auth.jwks import JWKSUnavailable, jwks_cache
from servicekit.auth.principal import Principal
from servicekit.auth.revocations import revocations
from servicekit.auth.verified import VerifiedTokenCache, token_digest
from servicekit.envelope.errors import ApplicationError

logger = logging.getLogger("servicekit.auth")

# exp/iat/sub/jti/iss/aud must be present; nbf is enforced when present.
REQUIRED_CLAIMS = ["exp", "iat", "sub", "jti", "iss", "aud"]
ACCESS_TOKEN_TYPE = "access"
RSA_ALGORITHMS = frozenset({"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"})
MAX_TOKEN_LENGTH = 8192
MAX_KID_LENGTH = 256
# Every code an access token is refused with (401).
TOKEN_ERROR_CODES = ("token_invalid", "token_expired", "token_not_yet_valid", "unknown_key", "token_revoked")

verified_tokens = VerifiedTokenCache()


def invalid(message: str = "Token is invalid.") -> AuthenticationFailed:
    return AuthenticationFailed(message, code="token_invalid")


def verify_access_token(token: str) -> Principal:
    """The principal of a valid access token; raises ``AuthenticationFailed`` otherwise.

    Error codes: ``token_expired``, ``token_not_yet_valid``, ``unknown_key``, ``token_invalid``.
    """
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise invalid()
    digest = token_digest(token)
    cached = verified_tokens.get(digest)
    if cached is not None:
        # A dict lookup while the key set is fresh; once it is stale this refreshes it, as a
        # cache miss would (rate-limited, last good keys kept if identity is unreachable).
        if cached.kid in _published_keys():
            return unless_revoked(cached.principal)
        # identity stopped publishing the key (a withdrawn, perhaps compromised key): verify
        # from scratch, which refuses the token as signed with an unknown key.
        verified_tokens.discard(digest)

    principal, kid = verify_signed_access_token(token, _key_for)
    verified_tokens.maxsize = settings.SERVICEKIT["JWT"]["VERIFIED_CACHE_SIZE"]
    verified_tokens.put(digest, principal, float(principal.claims["exp"]), kid=kid)
    return unless_revoked(principal)


def verify_signed_access_token(token: str, key_for: Callable[[str], Any]) -> tuple[Principal, str]:
    """The principal of an access token and the ``kid`` that signed it; no cache, no revocations.

    ``key_for(kid)`` returns the public key or raises ``AuthenticationFailed`` (``unknown_key``).
    Every contract check happens here, so a service holding the keys itself (identity) verifies
    exactly as every other service does; callers still pass the result to :func:`unless_revoked`.
    """
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise invalid()
    conf = settings.SERVICEKIT["JWT"]
    # The keys are RSA: never let configuration pair them with HS*/none.
    algorithms = [alg for alg in conf["ALGORITHMS"] if alg in RSA_ALGORITHMS]
    kid = _checked_kid(token, algorithms)
    claims = _decode(token, key_for(kid), algorithms, conf)
    _check_access_claims(claims)
    return Principal.from_claims(claims, auth_method="jwt"), kid


def unless_revoked(principal: Principal) -> Principal:
    """``principal``, unless identity revoked its user's tokens after this one was issued."""
    if revocations.is_revoked(principal.id, float(principal.claims["iat"])):
        raise AuthenticationFailed("Token has been revoked.", code="token_revoked")
    return principal


def _checked_kid(token: str, algorithms: list[str]) -> str:
    try:
        header = jwt.get_unverified_header(token)
    except InvalidTokenError:
        raise invalid() from None
    if header.get("alg") not in algorithms:
        raise invalid("Token is signed with an algorithm that is not accepted.")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid or len(kid) > MAX_KID_LENGTH:
        raise invalid("Token header has no usable 'kid'.")
    return kid


def _keys_unavailable() -> ApplicationError:
    return ApplicationError(
        "Tokens cannot be verified right now: identity's signing keys are unavailable.",
        code="upstream_unavailable",
        status_code=503,
    )


def _published_keys() -> Mapping[str, Any]:
    try:
        return jwks_cache.current_keys()
    except JWKSUnavailable:
        raise _keys_unavailable() from None


def _key_for(kid: str):
    try:
        key = jwks_cache.get_key(kid)
    except JWKSUnavailable:
        raise _keys_unavailable() from None
    if key is None:
        raise AuthenticationFailed("Token is signed with an unknown key.", code="unknown_key")
    return key


def _decode(token: str, key: Any, algorithms: list[str], conf: dict[str, Any]) -> dict[str, Any]:
    try:
        return jwt.decode(
            token,
            key,
            algorithms=algorithms,
            audience=conf["AUDIENCE"],
            issuer=conf["ISSUER"],
            leeway=conf["LEEWAY_SECONDS"],
            options={"require": REQUIRED_CLAIMS},
        )
    except ExpiredSignatureError:
        raise AuthenticationFailed("Token has expired.", code="token_expired") from None
    except ImmatureSignatureError:
        raise AuthenticationFailed("Token is not valid yet.", code="token_not_yet_valid") from None
    except InvalidTokenError as exc:
        logger.info("rejected token: %s", exc)
        raise invalid() from None


def _check_access_claims(claims: dict[str, Any]) -> None:
    if claims.get("token_type") != ACCESS_TOKEN_TYPE:
        raise invalid("Not an access token.")
    if not isinstance(claims["sub"], str) or not claims["sub"]:
        raise invalid()
    roles = claims.get("roles", [])
    if not isinstance(roles, list) or not all(isinstance(role, str) for role in roles):
        raise invalid()
    if not isinstance(claims.get("scope", ""), str):
        raise invalid()
