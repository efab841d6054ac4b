"""Writes to the event store."""

from __future__ import annotations

import json

from django.db import connection

from analytics.partitions import EVENTS, insert_with_partitions, utc_day
from servicekit.events import Event

INSERT = (
    "INSERT INTO analytics_event (event_id, occurred_at, type, version, subject, producer, correlation_id, "
    "causation_id, payload) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s::jsonb) ON CONFLICT DO NOTHING RETURNING 1"
)


def event_store(*, event: Event) -> bool:
    """Append ``event`` as published; False if it is stored already (a redelivery).

    Runs in the caller's transaction (the consumer's, with the inbox row)."""
    occurred_at = event.occurred_at_datetime()

    def insert() -> bool:
        with connection.cursor() as cursor:
            cursor.execute(
                INSERT,
                [
                    event.id,
                    occurred_at,
                    event.type,
                    event.version,
                    event.subject,
                    event.producer,
                    event.correlation_id or "",
                    event.causation_id or "",
                    json.dumps(event.data, separators=(",", ":"), ensure_ascii=False),
                ],
            )
            return cursor.fetchone() is not None

    return insert_with_partitions(EVENTS, [utc_day(occurred_at)], insert)
