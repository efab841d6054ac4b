"""/api/v1/auth/: registration, email verification, the caller's profile, passwords.

(Signing in and out are in ``session_views``; both are routed by ``accounts/api/urls.py``.)
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from identity.access import services as access
from identity.accounts import services
from identity.accounts.api.serializers import MessageOutputSerializer, UserOutputSerializer
from identity.accounts.errors import AccountErrorCode
from identity.accounts.models import Language
from identity.accounts.selectors import CALLER_ERROR_CODES, user_for_principal
from identity.apibase import UserSessionApi
from identity.logins.errors import LoginErrorCode
from servicekit.api import PublicApi, StrictSerializer
from servicekit.openapi import error_codes

PASSWORD_FIELD = {"write_only": True, "trim_whitespace": False, "max_length": 128}
RESET_SENT = "If an account exists for this email, we have sent a link to it."
VERIFICATION_SENT = "If this email belongs to an unverified account, we have sent a new link to it."


class RegisterApi(PublicApi):
    """Create an account. An address that already has one gets the very same answer (and its
    owner an email saying someone tried): registration does not reveal who has an account."""

    class InputSerializer(StrictSerializer):
        class Meta:
            ref_name = "RegisterInput"

        email = serializers.EmailField(max_length=254)
        password = serializers.CharField(**PASSWORD_FIELD)
        first_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
        last_name = serializers.CharField(max_length=150, required=False, allow_blank=True)

    @extend_schema(request=InputSerializer, responses={201: UserOutputSerializer}, auth=[])
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.user_register(**serializer.validated_data)
        return Response(UserOutputSerializer(user).data, status=status.HTTP_201_CREATED)


class EmailVerifyApi(PublicApi):
    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "EmailVerifyInput"

        token = serializers.CharField(max_length=128)

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "EmailVerifyOutput"

        email = serializers.EmailField()
        email_verified = serializers.BooleanField()

    @extend_schema(request=InputSerializer, responses={200: OutputSerializer}, auth=[])
    @error_codes({400: [AccountErrorCode.INVALID_LINK]})
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.email_verify(token=serializer.validated_data["token"])
        return Response(self.OutputSerializer(user).data)


class EmailVerificationResendApi(PublicApi):
    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "EmailVerificationResendInput"

        email = serializers.EmailField(max_length=254)

    @extend_schema(request=InputSerializer, responses={202: MessageOutputSerializer}, auth=[])
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.email_verification_resend(email=serializer.validated_data["email"])
        return Response({"detail": VERIFICATION_SENT}, status=status.HTTP_202_ACCEPTED)


class MeDetailApi(APIView):
    """The caller's own account (token or API key)."""

    api_key_scope = "account:read"

    @extend_schema(responses={200: UserOutputSerializer})
    @error_codes(CALLER_ERROR_CODES)
    def get(self, request):
        return Response(UserOutputSerializer(user_for_principal(request.user)).data)


class MeUpdateApi(APIView):
    """Change the caller's own name or language (token or API key). Roles, flags and email are not
    theirs to change."""

    api_key_scope = "account:write"

    class InputSerializer(StrictSerializer):
        class Meta:
            ref_name = "MeUpdateInput"

        first_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
        last_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
        language = serializers.ChoiceField(choices=Language.choices, required=False)

    @extend_schema(request=InputSerializer, responses={200: UserOutputSerializer})
    @error_codes(CALLER_ERROR_CODES)
    def patch(self, request):
        serializer = self.InputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        user = services.user_profile_update(
            user=user_for_principal(request.user), **serializer.validated_data
        )
        return Response(UserOutputSerializer(user).data)


class PasswordChangeApi(UserSessionApi):
    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "PasswordChangeInput"

        current_password = serializers.CharField(**PASSWORD_FIELD)
        new_password = serializers.CharField(**PASSWORD_FIELD)

    @extend_schema(request=InputSerializer, responses={204: None})
    @error_codes(CALLER_ERROR_CODES, {429: [LoginErrorCode.ACCOUNT_LOCKED, LoginErrorCode.LOGIN_THROTTLED]})
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        access.user_password_change(user=user_for_principal(request.user), **serializer.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PasswordResetRequestApi(PublicApi):
    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "PasswordResetRequestInput"

        email = serializers.EmailField(max_length=254)

    @extend_schema(request=InputSerializer, responses={202: MessageOutputSerializer}, auth=[])
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.password_reset_request(email=serializer.validated_data["email"])
        # The same answer whether or not the account exists.
        return Response({"detail": RESET_SENT}, status=status.HTTP_202_ACCEPTED)


class PasswordResetConfirmApi(PublicApi):
    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "PasswordResetConfirmInput"

        token = serializers.CharField(max_length=128)
        new_password = serializers.CharField(**PASSWORD_FIELD)

    @extend_schema(request=InputSerializer, responses={204: None}, auth=[])
    @error_codes({400: [AccountErrorCode.INVALID_LINK]})
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        access.password_reset_confirm(**serializer.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)
