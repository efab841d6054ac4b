"""OpenAPI (drf-spectacular) descriptions of the two authentication schemes."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension


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
            "description": "`ApiKey <prefix>.<secret>`, created at /api/v1/api-keys/.",
        }
