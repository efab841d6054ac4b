"""analytics' own settings (the ``ANALYTICS`` dict) and its beat schedule, from the environment.

Every variable is documented in ``.env.example`` and ``docs/analytics.md``.
"""

from __future__ import annotations

from typing import Any

import environ
from celery.schedules import crontab


def analytics_settings(env: environ.Env) -> dict[str, Any]:
    settings = {
        # Raw events and request logs older than this many days go, a whole daily partition at
        # a time (the retention task); the daily usage rollups built from them stay.
        "EVENT_RETENTION_DAYS": env.int("ANALYTICS_EVENT_RETENTION_DAYS", default=400),
        "REQUEST_LOG_RETENTION_DAYS": env.int("ANALYTICS_REQUEST_LOG_RETENTION_DAYS", default=30),
        # Daily partitions exist this many days ahead (made hourly; ingestion makes a missing
        # one itself, at the price of a short lock on the whole table).
        "PARTITIONS_AHEAD_DAYS": env.int("ANALYTICS_PARTITIONS_AHEAD_DAYS", default=7),
        # The request-log ingester takes at most this many stream entries (batches) at a time.
        "REQUEST_LOG_INGEST_ENTRIES": env.int("ANALYTICS_REQUEST_LOG_INGEST_ENTRIES", default=20),
        # A metric query may take this long, and sort and hash in this much memory (MB) before
        # spilling to disk: a funnel over millions of events joins millions of subjects.
        "QUERY_TIMEOUT_SECONDS": env.float("ANALYTICS_QUERY_TIMEOUT_SECONDS", default=60.0),
        "QUERY_WORK_MEM_MB": env.int("ANALYTICS_QUERY_WORK_MEM_MB", default=128),
    }
    for name, value in settings.items():
        if value <= 0:
            raise environ.ImproperlyConfigured(f"ANALYTICS_{name} must be more than 0, not {value}")
    return settings


# Celery beat (the analytics-beat process). Times of day rather than intervals: beat's schedule
# file lives in /tmp and is lost on every restart, and an interval restarted sooner never comes due.
BEAT_SCHEDULE = {
    "analytics.create-partitions": {
        "task": "analytics.create_partitions",
        "schedule": crontab(minute=7),
        "options": {"expires": 3000.0},  # a missed run is not queued up; the next hour's will do
    },
    "analytics.apply-retention": {
        "task": "analytics.apply_retention",
        "schedule": crontab(hour=3, minute=37),
        "options": {"expires": 3600.0},
    },
}
