"""Payloads of the session events (schemas in contracts/events/messaging.session.*)."""

from __future__ import annotations

from typing import Any

from messaging.sessions.models import Session


def session_status_changed(session: Session, *, previous_status: str | None) -> dict[str, Any]:
    return {
        "session_id": session.id,
        "user_id": session.user_id,
        "provider": session.provider,
        "status": session.status,
        "previous_status": previous_status,
        "reason": session.status_reason,
        "phone_number": session.phone_number or None,
        "changed_at": session.status_changed_at,
    }
