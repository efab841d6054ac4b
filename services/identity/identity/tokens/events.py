"""The ``data`` of the token event identity publishes (schema in
contracts/events/identity.user.tokens_revoked.v1.json)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from identity.accounts.models import User


def tokens_revoked(user: User, *, reason: str, revoked_count: int, revoked_at: datetime) -> dict[str, Any]:
    # Other services drop what they cached about this user (verified tokens, principals).
    return {
        "user_id": str(user.pk),
        "reason": reason,
        "revoked_count": revoked_count,
        "revoked_at": revoked_at.isoformat(),
    }
