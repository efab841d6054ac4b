"""Quota APIs: the caller's daily usage and limit; staff read and override any user's limit.

A user may read their own quota at either URL; anyone else's is 404 unless they are staff.
Overrides are staff actions with a signed-in token (no API key scope covers them)."""

from __future__ import annotations

import uuid

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from messaging.api import READ, UserApi
from messaging.quotas.selectors import QuotaStatus, quota_status
from messaging.quotas.services import MAX_DAILY_LIMIT, quota_override_set
from servicekit.api import StrictSerializer
from servicekit.auth import IsStaff, JWTAuthentication, user_id_of
from servicekit.auth.permissions import principal_of
from servicekit.envelope.errors import NotFound


class QuotaOutputSerializer(serializers.Serializer):
    class Meta:
        ref_name = "MessagingQuota"

    user_id = serializers.UUIDField()
    limit = serializers.IntegerField(help_text="messages per UTC day")
    used = serializers.IntegerField(help_text="messages counted today")
    remaining = serializers.IntegerField()
    resets_at = serializers.DateTimeField(help_text="the next UTC midnight")
    is_overridden = serializers.BooleanField(help_text="staff set this user's limit")


def _quota(user_id: uuid.UUID, quota: QuotaStatus) -> Response:
    return Response(
        QuotaOutputSerializer(
            {
                "user_id": user_id,
                "limit": quota.limit,
                "used": quota.used,
                "remaining": quota.remaining,
                "resets_at": quota.resets_at,
                "is_overridden": quota.is_overridden,
            }
        ).data
    )


class QuotaMeApi(UserApi):
    """The caller's messages today, their daily limit and when the count resets."""

    api_key_scope = READ
    OutputSerializer = QuotaOutputSerializer

    @extend_schema(responses=OutputSerializer)
    def get(self, request: Request) -> Response:
        user_id = user_id_of(request)
        return _quota(user_id, quota_status(user_id=user_id))


class QuotaDetailApi(UserApi):
    """A user's quota: staff read anyone's, a user only their own (anyone else's is 404)."""

    api_key_scope = READ
    OutputSerializer = QuotaOutputSerializer

    @extend_schema(responses=OutputSerializer)
    def get(self, request: Request, user_id: uuid.UUID) -> Response:
        principal = principal_of(request)
        if not (principal and principal.is_staff) and user_id != user_id_of(request):
            raise NotFound("Quota not found.")
        return _quota(user_id, quota_status(user_id=user_id))


class QuotaOverrideSetApi(APIView):
    """Staff: set this user's daily limit instead of the default (0 stops their sending)."""

    authentication_classes = [JWTAuthentication]
    permission_classes = [IsStaff]

    class InputSerializer(StrictSerializer):
        class Meta:
            ref_name = "MessagingQuotaOverrideInput"

        daily_limit = serializers.IntegerField(min_value=0, max_value=MAX_DAILY_LIMIT)
        reason = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")

    OutputSerializer = QuotaOutputSerializer

    @extend_schema(request=InputSerializer, responses=OutputSerializer)
    def put(self, request: Request, user_id: uuid.UUID) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        quota_override_set(
            user_id=user_id,
            daily_limit=serializer.validated_data["daily_limit"],
            set_by=user_id_of(request),
            reason=serializer.validated_data["reason"],
        )
        return _quota(user_id, quota_status(user_id=user_id))


class QuotaOverrideDeleteApi(APIView):
    """Staff: return this user to the default daily limit."""

    authentication_classes = [JWTAuthentication]
    permission_classes = [IsStaff]

    @extend_schema(responses={204: None})
    def delete(self, request: Request, user_id: uuid.UUID) -> Response:
        quota_override_set(user_id=user_id, daily_limit=None)
        return Response(status=status.HTTP_204_NO_CONTENT)
