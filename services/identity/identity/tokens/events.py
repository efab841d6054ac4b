"""The ``data`` of the token event identity publishes (schema in
contracts/events/identity.user.tokens_revoked.v1.json)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from identity.accounts.models import User


def tokens_revoked(
    user: User, *, reason: str, revoked_count: int, revoked_at: datetime, api_key_prefixes: Sequence[str] = ()
) -> dict[str, Any]:
    # Other services void the user's older access tokens (revoked_at keeps its microseconds:
    # access tokens' iat has them too) and drop their cached answers for the keys listed.
    data: dict[str, Any] = {
        "user_id": str(user.pk),
        "reason": reason,
        "revoked_count": revoked_count,
        "revoked_at": revoked_at.isoformat(),
    }
    if api_key_prefixes:
        data["api_key_prefixes"] = list(api_key_prefixes)
    return data
