"""identity's own DRF authentication: in-process, never over HTTP to itself.

Every other service authenticates with ``servicekit.auth``, which fetches identity's JWKS and
asks identity's introspection endpoint about API keys. Inside identity those would be HTTP
requests from a worker to its own service: with a few sync workers, enough concurrent
requests leave every worker waiting on a request that no free worker can answer. So identity
verifies access tokens against its own key ring (:func:`current_keyring`) and resolves API
keys with its own service function, producing the same :class:`Principal` with the same
checks and error codes as ``servicekit.auth``:

- JWT: RS256 (from configuration, never from the header), a known ``kid``, ``iss``, ``aud``,
  ``exp``/``nbf``/``iat`` (with the configured leeway), ``sub``, ``jti``, ``token_type:
  access``, well-formed ``roles``/``scope``, and the revocation list fed by
  ``identity.user.tokens_revoked``;
- API key: ``<prefix>.<secret>``, an active, unexpired, unrevoked key of an active user.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jwt
from django.conf import settings
from jwt.exceptions import ExpiredSignatureError, ImmatureSignatureError, InvalidTokenError
from rest_framework import serializers
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from identity.tokens.keys import current_keyring
from servicekit.auth.api_keys import API_KEY_PATTERN, invalid_api_key
from servicekit.auth.authentication import ApiKeyAuthentication, JWTAuthentication, credentials_for
from servicekit.auth.principal import Principal
from servicekit.auth.revocations import revocations
from servicekit.auth.schema import ApiKeyScheme, JWTScheme
from servicekit.auth.tokens import (
    ACCESS_TOKEN_TYPE,
    MAX_KID_LENGTH,
    MAX_TOKEN_LENGTH,
    REQUIRED_CLAIMS,
    RSA_ALGORITHMS,
    invalid,
)

AuthResult = tuple[Principal, Mapping[str, Any]]


# -- access tokens -----------------------------------------------------------------------
def verify_access_token(token: str) -> Principal:
    """The principal of a valid access token identity signed; ``AuthenticationFailed`` otherwise.

    Error codes as in servicekit: ``token_expired``, ``token_not_yet_valid``, ``unknown_key``,
    ``token_invalid``, ``token_revoked``.
    """
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise invalid()
    conf = settings.SERVICEKIT["JWT"]
    algorithms = [alg for alg in conf["ALGORITHMS"] if alg in RSA_ALGORITHMS]
    kid = _checked_kid(token, algorithms)
    key = current_keyring().public_key(kid)
    if key is None:
        raise AuthenticationFailed("Token is signed with an unknown key.", code="unknown_key")
    claims = _decode(token, key, algorithms, conf)
    _check_access_claims(claims)
    principal = Principal.from_claims(claims, auth_method="jwt")
    if revocations.is_revoked(principal.id, float(claims["iat"])):
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
    except InvalidTokenError:
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


# -- API keys ----------------------------------------------------------------------------
def resolve_api_key(raw_key: str) -> Principal:
    """The principal behind an active API key, as servicekit builds it from introspection."""
    # Imported here: DRF loads authentication classes when rest_framework.views is first
    # imported, which may be before Django's app registry (and so any model) is ready.
    from identity.apikeys.services import api_key_authenticate

    if not API_KEY_PATTERN.match(raw_key):
        raise invalid_api_key("API key is malformed; expected '<prefix>.<secret>'.")
    api_key = api_key_authenticate(raw_key=raw_key)
    if api_key is None:
        raise invalid_api_key()
    user_id = str(api_key.user_id)
    roles = list(api_key.user.roles)  # the owner's current roles, not a snapshot
    scopes = list(api_key.scopes)
    expires_at = (
        serializers.DateTimeField().to_representation(api_key.expires_at) if api_key.expires_at else None
    )
    return Principal(
        id=user_id,
        roles=frozenset(roles),
        scopes=frozenset(scopes),
        auth_method="api_key",
        claims={
            "sub": user_id,
            "roles": roles,
            "scope": " ".join(scopes),
            "api_key_prefix": api_key.prefix,
            "expires_at": expires_at,
        },
    )


# -- the DRF classes (REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"] in settings.py) --------
class IdentityJWTAuthentication(JWTAuthentication):
    """``Authorization: Bearer <access token>``, verified against identity's own key ring."""

    def authenticate(self, request: Request) -> AuthResult | None:
        token = credentials_for(request, self.scheme)
        if token is None:
            return None
        if not token or " " in token:
            raise invalid("Authorization header must be 'Bearer <token>'.")
        principal = verify_access_token(token)
        return principal, principal.claims


class IdentityApiKeyAuthentication(ApiKeyAuthentication):
    """``Authorization: ApiKey <prefix>.<secret>``, looked up in identity's own database."""

    def authenticate(self, request: Request) -> AuthResult | None:
        key = credentials_for(request, self.scheme)
        if key is None:
            return None
        if not key or " " in key:
            raise invalid_api_key("Authorization header must be 'ApiKey <prefix>.<secret>'.")
        principal = resolve_api_key(key)
        return principal, principal.claims


# The OpenAPI descriptions are servicekit's (drf-spectacular matches exact classes).
class IdentityJWTScheme(JWTScheme):
    target_class = "identity.authentication.IdentityJWTAuthentication"


class IdentityApiKeyScheme(ApiKeyScheme):
    target_class = "identity.authentication.IdentityApiKeyAuthentication"
