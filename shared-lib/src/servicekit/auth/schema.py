"""OpenAPI (drf-spectacular) descriptions of the two authentication schemes.

Each operation's security requirement for ``apiKeyAuth`` names the scope the key needs (the
class's ``api_key_scope``, OpenAPI 3.1's "roles" of a non-OAuth scheme); an operation whose
class declares none accepts no API key, so ``apiKeyAuth`` is left out of its requirements.
"""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension

from servicekit.auth.scopes import SCOPES, declared_scope


class JWTScheme(OpenApiAuthenticationExtension):
    target_class = "servicekit.auth.authentication.JWTAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "Access token from identity's POST /api/v1/auth/login/.",
        }


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "servicekit.auth.authentication.ApiKeyAuthentication"
    name = "apiKeyAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`ApiKey <prefix>.<secret>`, created at /api/v1/api-keys/. Each operation "
            "names the scope the key needs; the scopes:\n\n"
            + "\n".join(f"- `{scope.name}`: {scope.description}" for scope in SCOPES.values()),
        }

    def get_security_requirement(self, auto_schema):
        scope = declared_scope(auto_schema.view, auto_schema.method)
        return None if scope is None else {self.name: [scope]}
