"""Token events (schema: contracts/events/identity.user.tokens_revoked.v1.json)."""

from __future__ import annotations

from datetime import datetime

from identity.accounts.models import User
from servicekit.events import publish


def tokens_revoked(user: User, *, reason: str, revoked_count: int, revoked_at: datetime) -> None:
    # Other services drop what they cached about this user (verified tokens, principals).
    publish(
        "identity.user.tokens_revoked",
        subject=str(user.pk),
        data={
            "user_id": str(user.pk),
            "reason": reason,
            "revoked_count": revoked_count,
            "revoked_at": revoked_at.isoformat(),
        },
    )
