"""/api/v1/auth/ token endpoints and the JWKS."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from identity.accounts.selectors import CALLER_ERROR_CODES, user_for_principal
from identity.apibase import PublicApi, UserSessionApi
from identity.logins.services import LoginContext, login_authenticate
from identity.tokens.keys import current_keyring
from identity.tokens.models import RevocationReason
from identity.tokens.services import (
    refresh_token_revoke,
    token_pair_issue,
    token_refresh,
    user_tokens_revoke_all,
)
from servicekit.envelope.views import error_response
from servicekit.openapi import error_codes

# Verifiers cache the JWKS themselves (and refetch on an unknown kid); a short shared-cache
# lifetime keeps a rotation visible quickly through any proxy in between.
JWKS_MAX_AGE_SECONDS = 60


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
    @error_codes({401: ["invalid_credentials"], 403: ["account_inactive"], 429: ["account_locked"]})
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = login_authenticate(**serializer.validated_data, context=LoginContext.from_request(request))
        return Response(TokenPairOutputSerializer(token_pair_issue(user=user)).data)


class RefreshApi(PublicApi):
    @extend_schema(request=RefreshInputSerializer, responses={200: TokenPairOutputSerializer}, auth=[])
    @error_codes(
        {401: ["token_invalid", "token_expired", "token_reused", "token_revoked", "account_inactive"]}
    )
    def post(self, request):
        serializer = RefreshInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        pair = token_refresh(refresh=serializer.validated_data["refresh"])
        return Response(TokenPairOutputSerializer(pair).data)


class LogoutApi(PublicApi):
    """Holding the refresh token is what proves the right to end its session."""

    @extend_schema(request=RefreshInputSerializer, responses={204: None}, auth=[])
    @error_codes({401: ["token_invalid", "token_expired"]})
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


JWKS_METHODS = ("GET", "HEAD")


@csrf_exempt  # no state to protect; a POST must get the 405 below, not a CSRF 403
def jwks_view(request: HttpRequest) -> JsonResponse:
    """RFC 7517 JWK Set: the plain document verifiers expect, not an envelope.

    Any other method is an error, and errors are envelopes (as DRF's 405 elsewhere)."""
    if request.method not in JWKS_METHODS:
        return error_response(
            405,
            "method_not_allowed",
            f'Method "{request.method}" not allowed.',
            headers={"Allow": ", ".join(JWKS_METHODS)},
        )
    response = JsonResponse(current_keyring().jwks())
    response["Cache-Control"] = f"public, max-age={JWKS_MAX_AGE_SECONDS}"
    return response
