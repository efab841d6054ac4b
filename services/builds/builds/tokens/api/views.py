"""Build-token APIs: staff issue, list and revoke tokens; a build token with the
``tokenmanagement`` scope (subject ``""``) may revoke too, as on flat-manager."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from builds.apibase import TOKEN_REFUSED, IsStaffOrBuildToken, TokenManagementApi, actor_of, claims_of, iso
from builds.builds.access import authorize_token_management
from builds.tokens.claims import SCOPES
from builds.tokens.errors import TokenErrorCode
from builds.tokens.models import BuildToken
from builds.tokens.selectors import token_get, token_list
from builds.tokens.services import MAX_DURATION_SECONDS, token_issue, token_revoke
from servicekit.api import StrictSerializer
from servicekit.envelope.pagination import paginated_response
from servicekit.openapi import error_codes
from servicekit.params import present_params


def _strings(max_length: int, **kwargs: Any) -> serializers.ListField:
    return serializers.ListField(
        child=serializers.CharField(max_length=max_length, allow_blank=True), max_length=100, **kwargs
    )


class TokenOutputSerializer(serializers.Serializer):
    jti = serializers.CharField()
    name = serializers.CharField()
    sub = serializers.CharField()
    scope = serializers.ListField(child=serializers.CharField())
    repos = serializers.ListField(child=serializers.CharField())
    prefixes = serializers.ListField(child=serializers.CharField())
    apps = serializers.ListField(child=serializers.CharField())
    token_type = serializers.CharField(allow_null=True)
    expires_at = serializers.DateTimeField(allow_null=True)
    issued_by = serializers.CharField(allow_null=True)
    parent = serializers.CharField(allow_null=True)
    created_at = serializers.DateTimeField()
    revoked_at = serializers.DateTimeField(allow_null=True)

    def to_representation(self, token: BuildToken) -> dict[str, Any]:
        return {
            "jti": token.jti,
            "name": token.name,
            "sub": token.sub,
            "scope": token.scope,
            "repos": token.repos,
            "prefixes": token.prefixes,
            "apps": token.apps,
            "token_type": token.token_type or None,
            "expires_at": iso(token.expires_at),
            "issued_by": token.issued_by or None,
            "parent": token.parent_id,
            "created_at": iso(token.created_at),
            "revoked_at": iso(token.revoked_at),
        }


class TokenListApi(TokenManagementApi):
    """Issued tokens, newest first (never the tokens themselves); ``?active=true`` leaves out
    revoked ones."""

    class FilterSerializer(serializers.Serializer):
        active = serializers.BooleanField(required=False, default=False)

    OutputSerializer = TokenOutputSerializer

    @extend_schema(
        parameters=[FilterSerializer],
        responses=OutputSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=present_params(request))
        filters.is_valid(raise_exception=True)
        tokens = token_list(include_revoked=not filters.validated_data["active"])
        return paginated_response(
            queryset=tokens, serializer_class=self.OutputSerializer, request=request, view=self
        )


class TokenIssueApi(TokenManagementApi):
    """A new build token, shown once: ``{"token", "jti", "expires_at"}``."""

    class InputSerializer(StrictSerializer):
        class Meta:
            ref_name = "BuildTokenIssueInput"

        name = serializers.CharField(max_length=255)
        sub = serializers.CharField(max_length=255, allow_blank=True, default="build")
        scope = serializers.ListField(
            child=serializers.ChoiceField(choices=sorted(SCOPES)), min_length=1, max_length=len(SCOPES)
        )
        repos = _strings(64, default=[""])
        prefixes = _strings(255, default=list)
        apps = _strings(255, default=list)
        token_type = serializers.CharField(max_length=64, required=False, allow_null=True, default=None)
        duration = serializers.IntegerField(min_value=1, max_value=MAX_DURATION_SECONDS)

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "BuildTokenIssueOutput"

        token = serializers.CharField()
        jti = serializers.CharField()
        expires_at = serializers.DateTimeField()

    @extend_schema(request=InputSerializer, responses={201: OutputSerializer})
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        issued = token_issue(**serializer.validated_data, issued_by=actor_of(request).user_id or "")
        body = {"token": issued.token, "jti": issued.jti, "expires_at": iso(issued.expires_at)}
        return Response(body, status=status.HTTP_201_CREATED)


class TokenDetailApi(TokenManagementApi):
    OutputSerializer = TokenOutputSerializer

    @extend_schema(responses=OutputSerializer)
    def get(self, request: Request, jti: str) -> Response:
        return Response(self.OutputSerializer(token_get(jti=jti)).data)


class TokenRevokeApi(TokenManagementApi):
    """Revoke a token and every token derived from it, at once (idempotent). A ``jti`` this
    service never issued is recorded as revoked."""

    permission_classes = [IsStaffOrBuildToken]

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "BuildTokenRevokeOutput"

        jti = serializers.CharField()
        revoked = serializers.IntegerField(help_text="Tokens revoked by this request.")

    @error_codes(TOKEN_REFUSED, {400: [TokenErrorCode.VALIDATION_ERROR]})
    @extend_schema(request=None, responses=OutputSerializer)
    def post(self, request: Request, jti: str) -> Response:
        claims = claims_of(request)
        if claims is not None:
            authorize_token_management(claims)
        revoked = token_revoke(jti=jti, revoked_by=actor_of(request).label)
        return Response({"jti": jti, "revoked": revoked})
