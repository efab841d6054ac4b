"""Partition upkeep of the raw tables: partitions made ahead, old ones dropped (retention).

Only raw rows go: the daily usage rollups built from them stay (``analytics.usage``)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from django.conf import settings

from analytics.partitions import EVENTS, REQUEST_LOGS, TABLES, create_ahead, drop_before


def partitions_create_ahead(*, today: date | None = None) -> dict[str, list[date]]:
    """Make today's partitions and ANALYTICS_PARTITIONS_AHEAD_DAYS more; returns what was made."""
    today = today or datetime.now(UTC).date()
    ahead = settings.ANALYTICS["PARTITIONS_AHEAD_DAYS"]
    return {table.name: create_ahead(table, today=today, days_ahead=ahead) for table in TABLES}


def retention_apply(*, today: date | None = None) -> dict[str, list[date]]:
    """Drop the partitions of days older than each table's retention; returns the days dropped.

    A day is kept while any of it is younger than the retention: with 30 days, on 1 March
    the partition of 30 January (and later) stays and 29 January's goes."""
    today = today or datetime.now(UTC).date()
    retention = {
        EVENTS: settings.ANALYTICS["EVENT_RETENTION_DAYS"],
        REQUEST_LOGS: settings.ANALYTICS["REQUEST_LOG_RETENTION_DAYS"],
    }
    return {
        table.name: drop_before(table, cutoff=today - timedelta(days=days))
        for table, days in retention.items()
    }
