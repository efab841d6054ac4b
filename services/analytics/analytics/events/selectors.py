"""Reads of the event store."""

from __future__ import annotations

from datetime import datetime

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
    events = StoredEvent.objects.all()
    if type is not None:
        events = events.filter(type=type)
    if producer is not None:
        events = events.filter(producer=producer)
    if subject is not None:
        events = events.filter(subject=subject)
    if since is not None:
        events = events.filter(occurred_at__gte=since)
    if until is not None:
        events = events.filter(occurred_at__lt=until)
    return events.order_by("-occurred_at", "-event_id")
