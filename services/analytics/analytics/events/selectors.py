"""Reads of the event store."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import QuerySet

from analytics.events.models import StoredEvent


def events_list(
    *,
    type: str | None = None,
    producer: str | None = None,
    subject: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[StoredEvent]:
    """Stored events, newest first; ``since`` inclusive, ``until`` exclusive."""
    lookups = {
        "type": type,
        "producer": producer,
        "subject": subject,
        "occurred_at__gte": since,
        "occurred_at__lt": until,
    }
    return StoredEvent.objects.filter(**given(lookups)).order_by("-occurred_at", "-event_id")


def given(lookups: dict[str, Any]) -> dict[str, Any]:
    """The filters that were given (None: not filtered on)."""
    return {name: value for name, value in lookups.items() if value is not None}
