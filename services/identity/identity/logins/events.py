"""Sign-in events (schema: contracts/events/identity.user.logged_in.v1.json)."""

from __future__ import annotations

from identity.logins.models import LoginAttempt
from servicekit.events import publish


def user_logged_in(attempt: LoginAttempt) -> None:
    publish(
        "identity.user.logged_in",
        subject=str(attempt.user_id),
        data={
            "user_id": str(attempt.user_id),
            "channel": attempt.channel,
            "ip": attempt.ip,
            "user_agent": attempt.user_agent,
            "logged_in_at": attempt.created_at.isoformat(),
        },
    )
