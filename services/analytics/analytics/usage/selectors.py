"""Reads of daily usage."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db import connection

from analytics.usage.rules import ACTIVITY_COUNTERS


@dataclass(frozen=True)
class UsageDay:
    user_id: uuid.UUID
    day: date
    api_requests: int = 0
    messages_sent: int = 0
    media_sent: int = 0
    orders_placed: int = 0
    builds_published: int = 0
    revenue: dict[str, Decimal] = field(default_factory=dict)  # currency → amount, net of refunds


def usage_days(
    *, user_id: uuid.UUID | str | None = None, since: date | None = None, until: date | None = None
) -> list[UsageDay]:
    """Each (user, day) with any usage, by day then user; ``since``/``until`` inclusive."""
    where, params = _where(user_id, since, until)
    counters = ", ".join(f"coalesce(activity.{c}, 0)" for c in ACTIVITY_COUNTERS)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH keys AS (
                SELECT user_id, day FROM analytics_usage_activity WHERE {where}
                UNION SELECT user_id, day FROM analytics_usage_requests WHERE {where}
                UNION SELECT user_id, day FROM analytics_usage_revenue WHERE {where}
            )
            SELECT keys.user_id, keys.day, coalesce(requests.api_requests, 0), {counters}
            FROM keys
            LEFT JOIN analytics_usage_activity activity USING (user_id, day)
            LEFT JOIN analytics_usage_requests requests USING (user_id, day)
            ORDER BY keys.day, keys.user_id
            """,
            params * 3,
        )
        rows = cursor.fetchall()
        cursor.execute(
            f"SELECT user_id, day, currency, amount FROM analytics_usage_revenue WHERE {where} "
            "ORDER BY currency",
            params,
        )
        revenue: dict[tuple[uuid.UUID, date], dict[str, Decimal]] = {}
        for user, day, currency, amount in cursor.fetchall():
            revenue.setdefault((user, day), {})[currency] = amount
    return [
        UsageDay(user, day, api_requests, *counts, revenue=revenue.get((user, day), {}))
        for user, day, api_requests, *counts in rows
    ]


def _where(user_id, since, until) -> tuple[str, list]:
    conditions, params = ["true"], []
    if user_id is not None:
        conditions.append("user_id = %s")
        params.append(uuid.UUID(str(user_id)))
    if since is not None:
        conditions.append("day >= %s")
        params.append(since)
    if until is not None:
        conditions.append("day <= %s")
        params.append(until)
    return " AND ".join(conditions), params
