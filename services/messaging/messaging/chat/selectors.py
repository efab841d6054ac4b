"""Reads of messages: a user sees their own, filtered; another user's message is "not found"."""

from __future__ import annotations

import uuid
from datetime import datetime

from django.db.models import QuerySet

from messaging.chat.errors import MessageErrorCode
from messaging.chat.models import Message, Purpose
from servicekit.envelope.errors import NotFound


def message_list(
    *,
    user_id: uuid.UUID | str,
    status: str | None = None,
    direction: str | None = None,
    peer_number: str | None = None,
    session_id: uuid.UUID | str | None = None,
    created_after: datetime | None = None,
    created_before: datetime | None = None,
) -> QuerySet[Message]:
    """The user's messages, newest first (health probes are not the user's messages)."""
    messages = Message.objects.filter(user_id=user_id, purpose=Purpose.USER)
    filters = {
        "status": status,
        "direction": direction,
        "peer_number": peer_number,
        "session_id": session_id,
        "created_at__gte": created_after,
        "created_at__lt": created_before,
    }
    return messages.filter(**{name: value for name, value in filters.items() if value is not None})


def probe_message_get(*, session_id: uuid.UUID | str, probe_id: uuid.UUID | str) -> Message:
    """A health probe's test message of this session (the caller has already found the session)."""
    probe = Message.objects.filter(session_id=session_id, pk=probe_id, purpose=Purpose.PROBE).first()
    if probe is None:
        raise NotFound("Probe not found.", code=MessageErrorCode.NOT_FOUND)
    return probe


def message_get(*, user_id: uuid.UUID | str, message_id: uuid.UUID | str) -> Message:
    message = Message.objects.filter(user_id=user_id, pk=message_id, purpose=Purpose.USER).first()
    if message is None:
        raise NotFound("Message not found.", code=MessageErrorCode.NOT_FOUND)
    return message
