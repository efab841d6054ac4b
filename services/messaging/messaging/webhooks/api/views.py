"""The providers' webhook endpoint: WAHA (and the loopback phone, when it posts over HTTP)
call it with a signed JSON body; the signature, not a user's credentials, authenticates it."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from messaging.webhooks.errors import WebhookErrorCode
from messaging.webhooks.services import webhook_receive
from servicekit.api import PublicApi
from servicekit.openapi import error_codes


class WebhookReceiveApi(PublicApi):
    """Receive one provider event (``session.status``, ``message``, ``message.ack``).

    The raw body must carry ``X-Webhook-Hmac`` (HMAC-SHA512 with the webhook secret) and a
    recent ``timestamp``; otherwise 400 ``invalid_signature``. A replayed event id is answered
    200 (``duplicate``) and changes nothing; so is an event for a session that is not ours."""

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "MessagingWebhookReceipt"

        outcome = serializers.CharField(help_text="handled, duplicate, unknown_session or ignored")
        event_id = serializers.CharField()
        event_type = serializers.CharField()

    @extend_schema(request=OpenApiTypes.OBJECT, responses=OutputSerializer, auth=[])
    @error_codes({400: [WebhookErrorCode.INVALID_SIGNATURE]})
    def post(self, request: Request, provider: str) -> Response:
        # The signature covers the bytes as sent: read them before anything parses the body.
        result = webhook_receive(provider_name=provider, body=request.body, headers=request.headers)
        return Response(self.OutputSerializer(result).data)
