"""/api/v1/users/: staff administration of accounts, their sign-in history and lockouts."""

from __future__ import annotations

from uuid import UUID

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from identity.access import services as access
from identity.accounts.api.serializers import UserOutputSerializer
from identity.accounts.models import Role
from identity.accounts.permissions import IsCurrentStaff
from identity.accounts.selectors import (
    CALLER_ERROR_CODES,
    USER_ORDERINGS,
    user_for_principal,
    user_get,
    user_list,
)
from identity.logins.api.serializers import LoginAttemptOutputSerializer, OwnLoginFilterSerializer
from identity.logins.models import Outcome
from identity.logins.selectors import login_attempt_list
from identity.logins.services import account_unlock
from servicekit.envelope.pagination import paginated_response
from servicekit.openapi import error_codes
from servicekit.params import query_filters

ORDERING_CHOICES = [*USER_ORDERINGS, *(f"-{field}" for field in USER_ORDERINGS)]


class StaffApi(APIView):
    api_key_scope = "users:admin"
    permission_classes = [IsCurrentStaff]


class UserListApi(StaffApi):
    class FilterSerializer(serializers.Serializer):
        search = serializers.CharField(required=False, max_length=254)
        role = serializers.ChoiceField(choices=Role.choices, required=False)
        is_active = serializers.BooleanField(required=False, allow_null=True, default=None)
        email_verified = serializers.BooleanField(required=False, allow_null=True, default=None)
        ordering = serializers.ChoiceField(choices=ORDERING_CHOICES, required=False)

    @extend_schema(parameters=[FilterSerializer], responses={200: UserOutputSerializer(many=True)})
    def get(self, request):
        filters = query_filters(self.FilterSerializer, request)
        return paginated_response(
            queryset=user_list(filters=filters),
            serializer_class=UserOutputSerializer,
            request=request,
            view=self,
        )


class UserDetailApi(StaffApi):
    @extend_schema(responses={200: UserOutputSerializer})
    def get(self, request, user_id: UUID):
        return Response(UserOutputSerializer(user_get(user_id=user_id)).data)


class UserActivateApi(StaffApi):
    @extend_schema(request=None, responses={200: UserOutputSerializer})
    @error_codes(CALLER_ERROR_CODES)
    def post(self, request, user_id: UUID):
        user = access.user_activate(user=user_get(user_id=user_id), actor=user_for_principal(request.user))
        return Response(UserOutputSerializer(user).data)


class UserDeactivateApi(StaffApi):
    """Deactivation signs the user out everywhere and tells the other services."""

    @extend_schema(request=None, responses={200: UserOutputSerializer})
    @error_codes(CALLER_ERROR_CODES)
    def post(self, request, user_id: UUID):
        user = access.user_deactivate(user=user_get(user_id=user_id), actor=user_for_principal(request.user))
        return Response(UserOutputSerializer(user).data)


class UserRolesApi(StaffApi):
    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "UserRolesInput"

        roles = serializers.ListField(child=serializers.ChoiceField(choices=Role.choices), allow_empty=False)

    @extend_schema(request=InputSerializer, responses={200: UserOutputSerializer})
    @error_codes(CALLER_ERROR_CODES)
    def put(self, request, user_id: UUID):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = access.user_roles_set(
            user=user_get(user_id=user_id),
            actor=user_for_principal(request.user),
            roles=serializer.validated_data["roles"],
        )
        return Response(UserOutputSerializer(user).data)


class StaffLoginHistoryApi(StaffApi):
    """Every sign-in attempt on the platform (staff)."""

    class FilterSerializer(OwnLoginFilterSerializer):
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


class UserUnlockApi(StaffApi):
    @extend_schema(request=None, responses={204: None})
    def post(self, request, user_id: UUID):
        account_unlock(user=user_get(user_id=user_id))
        return Response(status=status.HTTP_204_NO_CONTENT)
