"""Reads of notifications: a user's e-mail preferences and the e-mails sent to them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from messaging.notifications.models import SECURITY_KINDS, NotificationKind, OptOut


@dataclass(frozen=True)
class Preference:
    kind: str
    is_enabled: bool
    is_optional: bool  # security mail is not


def notification_preferences(*, user_id: uuid.UUID | str) -> list[Preference]:
    opted_out = set(OptOut.objects.filter(user_id=user_id).values_list("kind", flat=True))
    return [
        Preference(kind=kind, is_enabled=kind not in opted_out, is_optional=kind not in SECURITY_KINDS)
        for kind in NotificationKind.values
    ]
