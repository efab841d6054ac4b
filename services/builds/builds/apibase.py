"""What the builds API classes share: who may call (identity's tokens and API keys, and build
tokens), who is calling, and how times are written."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rest_framework import serializers
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.views import APIView

from builds.builds.creators import Actor
from builds.builds.errors import BuildErrorCode
from builds.tokens.authentication import BuildTokenAuthentication, claims_of
from builds.tokens.errors import TokenErrorCode
from servicekit.auth.authentication import ApiKeyAuthentication, JWTAuthentication
from servicekit.auth.permissions import IsStaff, principal_of

__all__ = [
    "CHANGE_REFUSED",
    "TOKEN_REFUSED",
    "BuildsApi",
    "IsStaff",
    "IsStaffOrBuildToken",
    "StaffApi",
    "TokenManagementApi",
    "actor_of",
    "claims_of",
    "iso",
]

# The refusals of servicekit.openapi's error_codes() every builds API may answer: a build
# token's claims not covering the call; a signed-in user who is not staff changing a build.
TOKEN_REFUSED = {403: [TokenErrorCode.TOKEN_INSUFFICIENT]}
CHANGE_REFUSED = {403: [BuildErrorCode.PERMISSION_DENIED, TokenErrorCode.TOKEN_INSUFFICIENT]}


class IsStaffOrBuildToken(BasePermission):
    """Staff, or anyone holding a build token (whose claims the view then checks)."""

    message = "This requires a staff account or a build token."
    # Of identity's users, staff alone (a build token is no user): the operation's x-permission.
    allowed_roles = IsStaff.allowed_roles

    def has_permission(self, request, view) -> bool:
        principal = principal_of(request)
        return claims_of(request) is not None or (principal is not None and principal.is_staff)


class BuildsApi(APIView):
    """Any signed-in caller: identity's JWTs and API keys, or a build token (the Bearer token's
    JWT header tells which)."""

    authentication_classes = [BuildTokenAuthentication, JWTAuthentication, ApiKeyAuthentication]
    permission_classes = [IsAuthenticated]


class StaffApi(BuildsApi):
    permission_classes = [IsStaff]


class TokenManagementApi(StaffApi):
    """Build tokens are managed with a sign-in or a build token, never an API key: a key does
    not mint credentials (identity's API keys cannot make API keys either)."""

    authentication_classes = [BuildTokenAuthentication, JWTAuthentication]


def is_staff(request: Any) -> bool:
    principal = principal_of(request)
    return principal is not None and principal.is_staff


def actor_of(request: Any) -> Actor:
    claims = claims_of(request)
    if claims is not None:
        return Actor.from_claims(claims)
    principal = principal_of(request)
    return Actor.from_user(principal.id) if principal is not None else Actor()


def iso(moment: datetime | None) -> str | None:
    """As DRF writes datetimes (ISO 8601, UTC as ``Z``); None stays None."""
    return _DATETIME.to_representation(moment) if moment is not None else None


_DATETIME = serializers.DateTimeField()
