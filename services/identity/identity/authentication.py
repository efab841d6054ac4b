"""identity's own DRF authentication: in-process, never over HTTP to itself.

Every other service authenticates with ``servicekit.auth``, which fetches identity's JWKS and
asks identity's introspection endpoint about API keys. Inside identity those would be HTTP
requests from a worker to its own service: with a few sync workers, enough concurrent
requests leave every worker waiting on a request that no free worker can answer. So identity
verifies access tokens against its own key ring (:func:`current_keyring`) and resolves API
keys with its own service function, producing the same :class:`Principal`. Only
where the keys come from differs: the checks themselves are servicekit's
(``verify_signed_access_token``, ``unless_revoked``), so they cannot drift apart.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers
from rest_framework.exceptions import AuthenticationFailed

from identity.tokens.keys import current_keyring
from servicekit.auth.api_keys import API_KEY_PATTERN, invalid_api_key
from servicekit.auth.authentication import ApiKeyAuthentication, JWTAuthentication
from servicekit.auth.principal import Principal
from servicekit.auth.schema import ApiKeyScheme, JWTScheme
from servicekit.auth.tokens import TOKEN_ERROR_CODES, unless_revoked, verify_signed_access_token


# -- access tokens -----------------------------------------------------------------------
def verify_access_token(token: str) -> Principal:
    """The principal of a valid access token identity signed; ``AuthenticationFailed`` otherwise.

    Error codes as in servicekit: ``token_expired``, ``token_not_yet_valid``, ``unknown_key``,
    ``token_invalid``, ``token_revoked``.
    """
    principal, _ = verify_signed_access_token(token, _own_public_key)
    return unless_revoked(principal)


def _own_public_key(kid: str) -> Any:
    key = current_keyring().public_key(kid)
    if key is None:
        raise AuthenticationFailed("Token is signed with an unknown key.", code="unknown_key")
    return key


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

    error_codes = {401: TOKEN_ERROR_CODES}  # no JWKS to fetch, so never servicekit's 503

    def verify(self, token: str) -> Principal:
        return verify_access_token(token)


class IdentityApiKeyAuthentication(ApiKeyAuthentication):
    """``Authorization: ApiKey <prefix>.<secret>``, looked up in identity's own database."""

    error_codes = {401: ("api_key_invalid",)}  # no introspection call, so never a 503

    def resolve(self, key: str) -> Principal:
        return resolve_api_key(key)


# The OpenAPI descriptions are servicekit's (drf-spectacular matches exact classes).
class IdentityJWTScheme(JWTScheme):
    target_class = "identity.authentication.IdentityJWTAuthentication"


class IdentityApiKeyScheme(ApiKeyScheme):
    target_class = "identity.authentication.IdentityApiKeyAuthentication"
