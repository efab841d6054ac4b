"""/api/v1/auth/: signing in and out (token pairs), and the caller's own sign-in history."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from identity.accounts.selectors import CALLER_ERROR_CODES, user_for_principal
from identity.apibase import UserSessionApi
from identity.logins.api.serializers import LoginAttemptOutputSerializer, OwnLoginFilterSerializer
from identity.logins.errors import LoginErrorCode
from identity.logins.selectors import login_attempt_list
from identity.logins.services import LoginContext, login_authenticate
from identity.tokens.errors import TokenErrorCode
from identity.tokens.models import RevocationReason
from identity.tokens.services import (
    refresh_token_revoke,
    token_pair_issue,
    token_refresh,
    user_tokens_revoke_all,
)
from servicekit.api import PublicApi
from servicekit.envelope.pagination import paginated_response
from servicekit.openapi import error_codes
from servicekit.params import query_filters


class TokenPairOutputSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()
    token_type = serializers.CharField()
    expires_in = serializers.IntegerField(help_text="Seconds until the access token expires.")


class RefreshInputSerializer(serializers.Serializer):
    refresh = serializers.CharField(max_length=8192)


class LoginApi(PublicApi):
    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "LoginInput"

        email = serializers.CharField(max_length=254)
        password = serializers.CharField(max_length=128, trim_whitespace=False)

    @extend_schema(request=InputSerializer, responses={200: TokenPairOutputSerializer}, auth=[])
    @error_codes(
        {
            401: [LoginErrorCode.INVALID_CREDENTIALS],
            403: [LoginErrorCode.ACCOUNT_INACTIVE],
            429: [LoginErrorCode.ACCOUNT_LOCKED],
        }
    )
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = login_authenticate(**serializer.validated_data, context=LoginContext.from_request(request))
        return Response(TokenPairOutputSerializer(token_pair_issue(user=user)).data)


class RefreshApi(PublicApi):
    @extend_schema(request=RefreshInputSerializer, responses={200: TokenPairOutputSerializer}, auth=[])
    @error_codes({401: list(TokenErrorCode)})
    def post(self, request):
        serializer = RefreshInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        pair = token_refresh(refresh=serializer.validated_data["refresh"])
        return Response(TokenPairOutputSerializer(pair).data)


class LogoutApi(PublicApi):
    """Holding the refresh token is what proves the right to end its session."""

    @extend_schema(request=RefreshInputSerializer, responses={204: None}, auth=[])
    @error_codes({401: [TokenErrorCode.TOKEN_INVALID, TokenErrorCode.TOKEN_EXPIRED]})
    def post(self, request):
        serializer = RefreshInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        refresh_token_revoke(refresh=serializer.validated_data["refresh"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class LogoutAllApi(UserSessionApi):
    """Log out everywhere: every refresh token of the caller is revoked."""

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "LogoutAllOutput"

        revoked = serializers.IntegerField()

    @extend_schema(request=None, responses={200: OutputSerializer})
    @error_codes(CALLER_ERROR_CODES)
    def post(self, request):
        user = user_for_principal(request.user)
        revoked = user_tokens_revoke_all(user=user, reason=RevocationReason.LOGOUT_ALL)
        return Response(self.OutputSerializer({"revoked": revoked}).data)


class LoginHistoryApi(APIView):
    """The caller's own sign-in attempts, newest first."""

    @extend_schema(
        parameters=[OwnLoginFilterSerializer], responses={200: LoginAttemptOutputSerializer(many=True)}
    )
    @error_codes(CALLER_ERROR_CODES)
    def get(self, request):
        attempts = login_attempt_list(
            user=user_for_principal(request.user), filters=query_filters(OwnLoginFilterSerializer, request)
        )
        return paginated_response(
            queryset=attempts, serializer_class=LoginAttemptOutputSerializer, request=request, view=self
        )
