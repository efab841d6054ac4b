"""Message APIs: send (text, or media by upload or URL; ``Idempotency-Key``), list and filter the
caller's messages, one message. Another user's message is 404."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from messaging.api import READ, SEND, UserApi
from messaging.chat.errors import MessageErrorCode
from messaging.chat.models import Direction, MessageStatus
from messaging.chat.selectors import message_get, message_list
from messaging.chat.services import message_send
from messaging.chat.validation import normalize_phone_number
from messaging.quotas.errors import QuotaErrorCode
from servicekit.api import StrictSerializer
from servicekit.auth import user_id_of
from servicekit.envelope.pagination import paginated_response
from servicekit.envelope.parsers import UPLOAD_PARSERS
from servicekit.idempotency import IDEMPOTENCY_HEADER, idempotency_key
from servicekit.openapi import error_codes
from servicekit.params import query_filters


class MessageOutputSerializer(serializers.Serializer):
    class Meta:
        ref_name = "MessagingMessage"

    id = serializers.UUIDField()
    session_id = serializers.UUIDField()
    direction = serializers.CharField(help_text="outbound or inbound")
    kind = serializers.CharField(help_text="text, image, video, audio or document")
    peer_number = serializers.CharField(help_text="E.164: the recipient, or the sender of an inbound message")
    text = serializers.CharField(help_text="the body, or a media message's caption")
    media_url = serializers.CharField(help_text="the URL the media was sent from, if any")
    media_mimetype = serializers.CharField()
    media_size = serializers.IntegerField(allow_null=True)
    media_filename = serializers.CharField()
    status = serializers.CharField(help_text="queued, sent, delivered, read, failed; received (inbound)")
    error_code = serializers.CharField(help_text="why it failed (or the last error of a retried send)")
    error_message = serializers.CharField()
    attempts = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    sent_at = serializers.DateTimeField(allow_null=True)
    delivered_at = serializers.DateTimeField(allow_null=True)
    read_at = serializers.DateTimeField(allow_null=True)
    failed_at = serializers.DateTimeField(allow_null=True)
    received_at = serializers.DateTimeField(allow_null=True)


class MessageSendApi(UserApi):
    """Send a WhatsApp message from the caller's working session: text, or media (a file
    uploaded as ``multipart/form-data`` field ``media``, or ``media_url``) with an optional
    caption. Answers 202 with the message ``queued``; it is sent in the background and its
    status moves on (``sent``, ``delivered``, ``read``, or ``failed`` with the provider's error).

    With an ``Idempotency-Key`` header a retried request answers 200 with the first message
    (header ``Idempotent-Replayed: true``) and sends nothing; the same key with another message
    is 409 ``idempotency_key_reused``. Over the daily quota: 429 ``quota_exceeded`` with
    ``Retry-After``."""

    api_key_scope = SEND
    parser_classes = UPLOAD_PARSERS  # the media file by multipart; servicekit's JSON parser otherwise

    class InputSerializer(StrictSerializer):
        class Meta:
            ref_name = "MessagingMessageSendInput"

        to = serializers.CharField(max_length=64, help_text="E.164, e.g. +34600000001")
        text = serializers.CharField(required=False, allow_blank=True, default="", trim_whitespace=False)
        media = serializers.FileField(required=False, allow_empty_file=True, use_url=False)
        media_url = serializers.CharField(required=False, allow_blank=True, default="", max_length=4096)

    OutputSerializer = MessageOutputSerializer

    @extend_schema(
        request={"application/json": InputSerializer, "multipart/form-data": InputSerializer},
        responses={202: OutputSerializer, 200: OutputSerializer},
        parameters=[
            OpenApiParameter(
                IDEMPOTENCY_HEADER,
                location=OpenApiParameter.HEADER,
                required=False,
                description="1-255 printable characters, unique per message: a retry sends nothing twice.",
            )
        ],
    )
    @error_codes(
        {
            409: [MessageErrorCode.SESSION_NOT_WORKING, MessageErrorCode.IDEMPOTENCY_KEY_REUSED],
            429: [QuotaErrorCode.QUOTA_EXCEEDED],
        }
    )
    def post(self, request: Request) -> Response:
        key = idempotency_key(request)  # 400 validation_error naming idempotency_key
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        result = message_send(
            user_id=user_id_of(request),
            to=data["to"],
            text=data["text"],
            media_file=data.get("media"),
            media_url=data["media_url"].strip(),
            idempotency_key=key,
        )
        headers = {"Location": reverse("chat-message-detail", args=[result.message.id])}
        if not result.created:
            headers["Idempotent-Replayed"] = "true"
        return Response(
            self.OutputSerializer(result.message).data,
            status=status.HTTP_202_ACCEPTED if result.created else status.HTTP_200_OK,
            headers=headers,
        )


class MessageListApi(UserApi):
    """The caller's messages, newest first, outbound and inbound; filtered by the parameters."""

    api_key_scope = READ

    class FilterSerializer(serializers.Serializer):
        status = serializers.ChoiceField(choices=MessageStatus.choices, required=False)
        direction = serializers.ChoiceField(choices=Direction.choices, required=False)
        peer_number = serializers.CharField(required=False, max_length=64, help_text="E.164")
        session = serializers.UUIDField(required=False)
        created_after = serializers.DateTimeField(required=False)
        created_before = serializers.DateTimeField(required=False)

        def validate_peer_number(self, value: str) -> str:
            return normalize_phone_number(value, field="peer_number")

    OutputSerializer = MessageOutputSerializer

    @extend_schema(
        parameters=[FilterSerializer],
        responses=OutputSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        filters = query_filters(self.FilterSerializer, request)
        messages = message_list(
            user_id=user_id_of(request),
            status=filters.get("status"),
            direction=filters.get("direction"),
            peer_number=filters.get("peer_number"),
            session_id=filters.get("session"),
            created_after=filters.get("created_after"),
            created_before=filters.get("created_before"),
        )
        return paginated_response(
            queryset=messages, serializer_class=self.OutputSerializer, request=request, view=self
        )


class MessageDetailApi(UserApi):
    """One of the caller's messages, with its status and times."""

    api_key_scope = READ
    OutputSerializer = MessageOutputSerializer

    @extend_schema(responses=OutputSerializer)
    def get(self, request: Request, message_id: str) -> Response:
        message = message_get(user_id=user_id_of(request), message_id=message_id)
        return Response(self.OutputSerializer(message).data)
