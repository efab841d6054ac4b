"""Payload of ``messaging.email.sent`` (schema in contracts/events/)."""

from __future__ import annotations

from typing import Any

from messaging.notifications.models import Notification


def email_sent(notification: Notification) -> dict[str, Any]:
    return {
        "notification_id": notification.id,
        "kind": notification.kind,
        "user_id": notification.user_id,
        "language": notification.language,
        "source_event_id": notification.event_id,
        "source_event_type": notification.event_type,
        "sent_at": notification.sent_at,
    }
