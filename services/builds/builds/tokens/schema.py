"""OpenAPI (drf-spectacular) description of build tokens on the REST API."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class BuildTokenScheme(OpenApiAuthenticationExtension):
    target_class = "builds.tokens.authentication.BuildTokenAuthentication"
    name = "buildTokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "A build token (flat-manager's HS256 JWT) from POST /api/v1/builds/tokens/.",
        }
