"""Payloads of the message events (schemas in contracts/events/messaging.message.*)."""

from __future__ import annotations

from typing import Any

from messaging.chat.models import Message


def _base(message: Message) -> dict[str, Any]:
    return {
        "message_id": message.id,
        "user_id": message.user_id,
        "session_id": message.session_id,
        "kind": message.kind,
    }


def message_sent(message: Message) -> dict[str, Any]:
    return {
        **_base(message),
        "to": message.peer_number,
        "provider_message_id": message.provider_message_id,
        "attempts": message.attempts,
        "sent_at": message.sent_at,
    }


def message_delivered(message: Message) -> dict[str, Any]:
    return {
        **_base(message),
        "provider_message_id": message.provider_message_id,
        "delivered_at": message.delivered_at,
    }


def message_read(message: Message) -> dict[str, Any]:
    return {**_base(message), "provider_message_id": message.provider_message_id, "read_at": message.read_at}


def message_failed(message: Message) -> dict[str, Any]:
    return {
        **_base(message),
        "to": message.peer_number,
        "error_code": message.error_code,
        "error_message": message.error_message,
        "attempts": message.attempts,
        "failed_at": message.failed_at,
    }


def message_received(message: Message) -> dict[str, Any]:
    return {
        **_base(message),
        "from": message.peer_number,
        "provider_message_id": message.provider_message_id,
        "has_media": bool(message.media_url),
        "received_at": message.received_at or message.created_at,
    }
