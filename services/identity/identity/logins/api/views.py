"""Login history, staff unlock and the internal staff sign-in used by every service's admin."""

from __future__ import annotations

from uuid import UUID

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from identity.accounts.permissions import IsCurrentStaff
from identity.accounts.selectors import CALLER_ERROR_CODES, user_for_principal, user_get
from identity.apibase import InternalApi
from identity.logins.models import LoginAttempt, Outcome
from identity.logins.selectors import login_attempt_list
from identity.logins.services import LoginContext, account_unlock, login_authenticate
from servicekit.envelope.pagination import paginated_response
from servicekit.observability.middleware import client_ip_from
from servicekit.openapi import error_codes
from servicekit.params import query_filters


class LoginAttemptOutputSerializer(serializers.ModelSerializer):
    user_id = serializers.UUIDField(allow_null=True)
    succeeded = serializers.BooleanField()

    class Meta:
        model = LoginAttempt
        fields = [
            "id",
            "user_id",
            "email",
            "outcome",
            "succeeded",
            "ip",
            "user_agent",
            "channel",
            "created_at",
        ]
        read_only_fields = fields


class OwnFilterSerializer(serializers.Serializer):
    succeeded = serializers.BooleanField(required=False)
    since = serializers.DateTimeField(required=False)


class LoginHistoryApi(APIView):
    """The caller's own sign-in attempts, newest first."""

    @extend_schema(parameters=[OwnFilterSerializer], responses={200: LoginAttemptOutputSerializer(many=True)})
    @error_codes(CALLER_ERROR_CODES)
    def get(self, request):
        attempts = login_attempt_list(
            user=user_for_principal(request.user), filters=query_filters(OwnFilterSerializer, request)
        )
        return paginated_response(
            queryset=attempts, serializer_class=LoginAttemptOutputSerializer, request=request, view=self
        )


class StaffLoginHistoryApi(APIView):
    """Every sign-in attempt on the platform (staff)."""

    permission_classes = [IsCurrentStaff]

    class FilterSerializer(OwnFilterSerializer):
        user_id = serializers.UUIDField(required=False)
        email = serializers.CharField(required=False, max_length=254)
        ip = serializers.IPAddressField(required=False)
        outcome = serializers.ChoiceField(choices=Outcome.choices, required=False)

    @extend_schema(parameters=[FilterSerializer], responses={200: LoginAttemptOutputSerializer(many=True)})
    def get(self, request):
        attempts = login_attempt_list(filters=query_filters(self.FilterSerializer, request))
        return paginated_response(
            queryset=attempts, serializer_class=LoginAttemptOutputSerializer, request=request, view=self
        )


class UserUnlockApi(APIView):
    permission_classes = [IsCurrentStaff]

    @extend_schema(request=None, responses={204: None})
    def post(self, request, user_id: UUID):
        account_unlock(user=user_get(user_id=user_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class StaffLoginApi(InternalApi):
    """Another service's Django admin asks: are these an active staff member's credentials?

    Same rules as every sign-in (lockout, history); the caller passes on what its own
    request carried so the client's IP and user agent are recorded, not the service's.
    """

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "StaffLoginInput"

        email = serializers.CharField(max_length=254)
        password = serializers.CharField(max_length=128, trim_whitespace=False)
        service = serializers.RegexField(r"^[a-z][a-z0-9_-]{0,24}$")
        forwarded_for = serializers.CharField(required=False, allow_blank=True, max_length=1024, default="")
        remote_addr = serializers.CharField(required=False, allow_blank=True, max_length=64, default="")
        user_agent = serializers.CharField(required=False, allow_blank=True, max_length=1024, default="")

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "StaffLoginOutput"

        id = serializers.UUIDField()
        email = serializers.EmailField()
        first_name = serializers.CharField()
        last_name = serializers.CharField()
        roles = serializers.ListField(child=serializers.CharField())
        is_staff = serializers.BooleanField()
        is_superuser = serializers.BooleanField()

    @extend_schema(exclude=True)  # internal: not part of the public API documentation
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        context = LoginContext(
            ip=client_ip_from(forwarded_for=data["forwarded_for"], remote_addr=data["remote_addr"]),
            user_agent=data["user_agent"],
            channel=f"admin:{data['service']}",
        )
        user = login_authenticate(
            email=data["email"], password=data["password"], context=context, require_staff=True
        )
        return Response(self.OutputSerializer(user).data)
