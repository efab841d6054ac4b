"""/api/v1/api-keys/ (the caller's own keys) and the internal introspection endpoint."""

from __future__ import annotations

import re
from uuid import UUID

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from identity.accounts.selectors import CALLER_ERROR_CODES, user_for_principal
from identity.apibase import UserSessionApi
from identity.apikeys.models import ApiKey
from identity.apikeys.selectors import api_key_get, api_key_list
from identity.apikeys.services import api_key_authenticate, api_key_create, api_key_revoke
from servicekit.api import InternalApi
from servicekit.envelope.pagination import paginated_response
from servicekit.openapi import error_codes

SCOPE_PATTERN = re.compile(r"^[a-z][a-z0-9_.:-]{0,63}$")
MAX_SCOPES = 32


class ApiKeyOutputSerializer(serializers.ModelSerializer):
    """What a key reads back as: never its secret (only the prefix that identifies it)."""

    is_active = serializers.SerializerMethodField()

    class Meta:
        model = ApiKey
        fields = [
            "id",
            "name",
            "prefix",
            "scopes",
            "created_at",
            "last_used_at",
            "expires_at",
            "revoked_at",
            "is_active",
        ]
        read_only_fields = fields

    def get_is_active(self, api_key: ApiKey) -> bool:
        return api_key.is_usable()


class ApiKeyListApi(UserSessionApi):
    """The caller's keys (with a user's access token)."""

    @extend_schema(responses={200: ApiKeyOutputSerializer(many=True)})
    @error_codes(CALLER_ERROR_CODES)
    def get(self, request):
        keys = api_key_list(user=user_for_principal(request.user))
        return paginated_response(
            queryset=keys, serializer_class=ApiKeyOutputSerializer, request=request, view=self
        )


class ApiKeyCreateApi(UserSessionApi):
    """Create a key (with a user's access token: keys cannot mint keys)."""

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "ApiKeyCreateInput"

        name = serializers.CharField(max_length=100)
        scopes = serializers.ListField(
            child=serializers.RegexField(SCOPE_PATTERN, max_length=64), max_length=MAX_SCOPES, default=list
        )
        expires_at = serializers.DateTimeField(required=False, allow_null=True, default=None)

    class OutputSerializer(ApiKeyOutputSerializer):
        key = serializers.CharField(help_text="The full key. Shown once: store it now.")

        class Meta(ApiKeyOutputSerializer.Meta):
            ref_name = "ApiKeyCreateOutput"
            fields = [*ApiKeyOutputSerializer.Meta.fields, "key"]
            read_only_fields = fields

    @extend_schema(request=InputSerializer, responses={201: OutputSerializer})
    @error_codes(CALLER_ERROR_CODES)
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        api_key, raw_key = api_key_create(user=user_for_principal(request.user), **serializer.validated_data)
        api_key.key = raw_key  # only on this response
        return Response(self.OutputSerializer(api_key).data, status=status.HTTP_201_CREATED)


class ApiKeyDetailApi(UserSessionApi):
    """One of the caller's keys; someone else's answers 404."""

    @extend_schema(responses={200: ApiKeyOutputSerializer})
    @error_codes(CALLER_ERROR_CODES)
    def get(self, request, api_key_id: UUID):
        api_key = api_key_get(user=user_for_principal(request.user), api_key_id=api_key_id)
        return Response(ApiKeyOutputSerializer(api_key).data)


class ApiKeyRevokeApi(UserSessionApi):
    """Revoke one of the caller's keys; someone else's answers 404."""

    @extend_schema(responses={204: None})
    @error_codes(CALLER_ERROR_CODES)
    def delete(self, request, api_key_id: UUID):
        """Revoke: the key stops working everywhere (services drop their cache on the event)."""
        api_key_revoke(api_key=api_key_get(user=user_for_principal(request.user), api_key_id=api_key_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class ApiKeyIntrospectApi(InternalApi):
    """servicekit.auth asks what an ``Authorization: ApiKey …`` header is worth."""

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "ApiKeyIntrospectInput"

        key = serializers.CharField(max_length=600, trim_whitespace=False)

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "ApiKeyIntrospectOutput"

        active = serializers.BooleanField()
        user_id = serializers.UUIDField(required=False)
        roles = serializers.ListField(child=serializers.CharField(), required=False)
        scopes = serializers.ListField(child=serializers.CharField(), required=False)
        prefix = serializers.CharField(required=False)
        expires_at = serializers.DateTimeField(required=False, allow_null=True)

    @extend_schema(exclude=True)  # internal: not part of the public API documentation
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        api_key = api_key_authenticate(raw_key=serializer.validated_data["key"])
        if api_key is None:
            return Response({"active": False})
        answer = {
            "active": True,
            "user_id": api_key.user_id,
            "roles": list(api_key.user.roles),  # the owner's current roles, not a snapshot
            "scopes": list(api_key.scopes),
            "prefix": api_key.prefix,
            "expires_at": api_key.expires_at,
        }
        return Response(self.OutputSerializer(answer).data)
