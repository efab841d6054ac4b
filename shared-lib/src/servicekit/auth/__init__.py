"""Authentication and authorization for services: identity's JWTs and API keys.

``request.user`` is a :class:`Principal` (id, roles, scopes) built from the credentials;
no service keeps a user table. See ``docs/architecture.md`` for the token contract.
"""

from servicekit.auth.api_keys import forget_api_key, resolve_api_key
from servicekit.auth.authentication import ApiKeyAuthentication, JWTAuthentication
from servicekit.auth.jwks import JWKSCache, jwks_cache
from servicekit.auth.permissions import (
    HasInternalToken,
    HasRole,
    HasScope,
    IsOwnerOrStaff,
    IsStaff,
    user_id_of,
)
from servicekit.auth.principal import Principal
from servicekit.auth.tokens import verified_tokens, verify_access_token

__all__ = [
    "ApiKeyAuthentication",
    "HasInternalToken",
    "HasRole",
    "HasScope",
    "IsOwnerOrStaff",
    "IsStaff",
    "JWKSCache",
    "JWTAuthentication",
    "Principal",
    "forget_api_key",
    "jwks_cache",
    "resolve_api_key",
    "user_id_of",
    "verified_tokens",
    "verify_access_token",
]
