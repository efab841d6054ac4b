"""The ``data`` of the sign-in event identity publishes (schema in
contracts/events/identity.user.logged_in.v1.json)."""

from __future__ import annotations

from typing import Any

from identity.logins.models import LoginAttempt


def user_logged_in(attempt: LoginAttempt) -> dict[str, Any]:
    return {
        "user_id": str(attempt.user_id),
        "channel": attempt.channel,
        "ip": attempt.ip,
        "user_agent": attempt.user_agent,
        "logged_in_at": attempt.created_at.isoformat(),
    }
