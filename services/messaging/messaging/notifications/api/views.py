"""E-mail preference APIs: which kinds of e-mail the caller gets, and turning kinds off and on.
Security mail (verification, password reset, registration attempts) cannot be turned off."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from messaging.api import READ, SEND, UserApi
from messaging.notifications.errors import NotificationErrorCode
from messaging.notifications.models import NotificationKind
from messaging.notifications.selectors import notification_preferences
from messaging.notifications.services import notification_preferences_update
from servicekit.api import JSONBooleanField, StrictSerializer
from servicekit.auth import user_id_of
from servicekit.openapi import error_codes


class PreferenceOutputSerializer(serializers.Serializer):
    class Meta:
        ref_name = "MessagingNotificationPreference"

    kind = serializers.CharField()
    is_enabled = serializers.BooleanField()
    is_optional = serializers.BooleanField(help_text="false for security mail, which is always sent")


def _preferences(request: Request) -> Response:
    preferences = notification_preferences(user_id=user_id_of(request))
    return Response(PreferenceOutputSerializer(preferences, many=True).data)


class PreferenceListApi(UserApi):
    """Every kind of e-mail the platform sends, and whether the caller gets it."""

    api_key_scope = READ
    pagination_class = None  # every kind at once: a dozen
    OutputSerializer = PreferenceOutputSerializer

    @extend_schema(responses=OutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        return _preferences(request)


class PreferenceUpdateApi(UserApi):
    """Turn kinds of e-mail off (``false``) or back on (``true``): ``{"order_shipped": false}``.
    All changes apply or none; turning security mail off is 400 ``notification_not_optional``."""

    api_key_scope = SEND

    # One optional boolean per kind of e-mail; any other field is refused.
    InputSerializer = type(
        "InputSerializer",
        (StrictSerializer,),
        {
            "Meta": type("Meta", (), {"ref_name": "MessagingNotificationPreferencesInput"}),
            **{kind: JSONBooleanField(required=False) for kind in NotificationKind.values},
        },
    )
    pagination_class = None
    OutputSerializer = PreferenceOutputSerializer

    @extend_schema(request=InputSerializer, responses=OutputSerializer(many=True))
    @error_codes({400: [NotificationErrorCode.NOT_OPTIONAL]})
    def patch(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        notification_preferences_update(user_id=user_id_of(request), changes=serializer.validated_data)
        return _preferences(request)
