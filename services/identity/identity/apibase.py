"""Base pieces shared by identity's API views."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from identity.authentication import IdentityJWTAuthentication
from servicekit.auth.permissions import HasInternalToken


class PublicApi(APIView):
    """No credentials needed (register, login, reset…). A stray, stale Authorization header
    must not break these endpoints, so no authentication runs at all."""

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]


class InternalApi(APIView):
    """Service-to-service only: the shared internal token, no user credentials."""

    authentication_classes: list[type] = []
    permission_classes = [HasInternalToken]


class UserSessionApi(APIView):
    """Endpoints that manage the account's own credentials take a user's access token only:
    an API key must not be able to mint more keys or change the password."""

    authentication_classes = [IdentityJWTAuthentication]


class StrictSerializer(serializers.Serializer):
    """Rejects fields it does not declare: an attempt to set ``roles`` or ``is_active`` is an
    error the client sees, not a silent no-op."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError(
                    {field: ["This field cannot be set here."] for field in unknown}
                )
        return super().to_internal_value(data)
