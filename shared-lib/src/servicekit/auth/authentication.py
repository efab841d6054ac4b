"""DRF authentication classes: ``Authorization: Bearer <jwt>`` and ``Authorization: ApiKey <key>``.

Each returns ``(principal, claims)``; ``request.user`` is a :class:`Principal`, never a DB row.
A request without the class's scheme is left to the next class (``None``); a request with the
scheme but bad credentials fails with 401 and a stable error code.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request

from servicekit.auth.api_keys import forget_api_key, invalid_api_key, resolve_api_key
from servicekit.auth.principal import Principal
from servicekit.auth.tokens import TOKEN_ERROR_CODES, invalid, verify_access_token

__all__ = ["ApiKeyAuthentication", "JWTAuthentication", "forget_api_key"]

AuthResult = tuple[Principal, Mapping[str, Any]]


def credentials_for(request: Request, scheme: str) -> str | None:
    """The credentials after ``<scheme> `` in the Authorization header, '' if missing, else None."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    name, _, credentials = header.strip().partition(" ")
    if name.lower() != scheme.lower():
        return None
    return credentials.strip()


class JWTAuthentication(BaseAuthentication):
    scheme = "Bearer"
    # What a bad token answers (servicekit.openapi documents them); 503 while the JWKS is away.
    error_codes = {401: TOKEN_ERROR_CODES, 503: ("upstream_unavailable",)}

    def authenticate(self, request: Request) -> AuthResult | None:
        token = credentials_for(request, self.scheme)
        if token is None:
            return None
        if not token or " " in token:
            raise invalid("Authorization header must be 'Bearer <token>'.")
        principal = self.verify(token)
        return principal, principal.claims

    def verify(self, token: str) -> Principal:
        """The token's principal (a service holding the keys itself overrides this)."""
        return verify_access_token(token)

    def authenticate_header(self, request: Request) -> str:
        # A value here makes DRF answer 401 (not 403) when authentication fails.
        return f'{self.scheme} realm="api"'


class ApiKeyAuthentication(BaseAuthentication):
    scheme = "ApiKey"
    # 503 while identity cannot be asked about the key.
    error_codes = {401: ("api_key_invalid",), 503: ("upstream_unavailable",)}

    def authenticate(self, request: Request) -> AuthResult | None:
        key = credentials_for(request, self.scheme)
        if key is None:
            return None
        if not key or " " in key:
            raise invalid_api_key("Authorization header must be 'ApiKey <prefix>.<secret>'.")
        principal = self.resolve(key)
        return principal, principal.claims

    def resolve(self, key: str) -> Principal:
        """The key's principal (identity, which stores the keys, overrides this)."""
        return resolve_api_key(key)

    def authenticate_header(self, request: Request) -> str:
        return f'{self.scheme} realm="api"'
