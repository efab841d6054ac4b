"""Daily usage: counted as events and request logs arrive, and rebuilt from them by the rollup.

Both paths follow ``analytics.usage.rules``. The rollup holds an exclusive advisory lock while
the incremental writers hold it shared (each for the rest of its transaction), so a rebuild
never interleaves with an increment: an event committed before the rebuild is in the raw rows
it reads, one committed after it is added to the rebuilt numbers, never both or neither.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from django.db import connection, transaction

from analytics.partitions import EVENTS, REQUEST_LOGS, PartitionedTable, day_start, partition_days, utc_day
from analytics.usage.rules import (
    ACTIVITY_COUNTERS,
    REVENUE_RULES,
    RULES,
    SQL_HAS_MEDIA,
    SQL_IS_VALID_MONEY_EVENT,
    SQL_SIGNED_AMOUNT,
    UUID_PATTERN,
    has_media,
    money_of,
    sql_is_one_of,
    sql_literal,
    sql_user,
    user_of,
)
from servicekit.events import Event

USAGE_LOCK = zlib.crc32(b"analytics.usage")
# The increments take the shared lock in their own statement (one round trip less per event):
# the one-row subquery is evaluated, and the lock granted, before the row is written.
_SHARED_LOCK = f"(SELECT pg_advisory_xact_lock_shared({USAGE_LOCK})) AS usage_lock"
_COUNTERS = ", ".join(ACTIVITY_COUNTERS)
_ACTIVITY_UPSERT = (
    f"INSERT INTO analytics_usage_activity (user_id, day, {_COUNTERS}) "
    f"SELECT %s, %s, {', '.join(['%s'] * len(ACTIVITY_COUNTERS))} FROM {_SHARED_LOCK} "
    "ON CONFLICT (user_id, day) DO UPDATE SET "
    + ", ".join(f"{c} = analytics_usage_activity.{c} + EXCLUDED.{c}" for c in ACTIVITY_COUNTERS)
)
_REVENUE_UPSERT = (
    f"INSERT INTO analytics_usage_revenue (user_id, day, currency, amount) SELECT %s, %s, %s, %s FROM {_SHARED_LOCK} "
    "ON CONFLICT (user_id, day, currency) DO UPDATE SET amount = analytics_usage_revenue.amount + EXCLUDED.amount"
)
_REQUESTS_UPSERT = (
    "INSERT INTO analytics_usage_requests (user_id, day, api_requests) "
    f"SELECT counts.* FROM unnest(%s::uuid[], %s::date[], %s::integer[]) AS counts, {_SHARED_LOCK} "
    "ON CONFLICT (user_id, day) DO UPDATE "
    "SET api_requests = analytics_usage_requests.api_requests + EXCLUDED.api_requests"
)


def usage_record_event(*, event: Event) -> None:
    """Count a newly stored event in its user's day (in the caller's transaction)."""
    rule = RULES.get((event.type, event.version))
    user_id = user_of(event.data, rule) if rule else None
    if rule is None or user_id is None:
        return
    day = utc_day(event.occurred_at_datetime())
    money = money_of(event.data) if rule.revenue_sign else None
    with connection.cursor() as cursor:
        if rule.counter:
            increments = {counter: 0 for counter in ACTIVITY_COUNTERS}
            increments[rule.counter] = 1
            if rule.counts_media and has_media(event.data):
                increments["media_sent"] = 1
            cursor.execute(_ACTIVITY_UPSERT, [user_id, day, *increments.values()])
        if money is not None:
            amount, currency = money
            cursor.execute(_REVENUE_UPSERT, [user_id, day, currency, rule.revenue_sign * amount])


def usage_record_requests(*, counts: Mapping[tuple[str, date], int]) -> None:
    """Add API requests per (user id, day) (in the caller's transaction, the ingester's)."""
    if not counts:
        return
    keys = sorted(counts)  # one order for every writer: no deadlock between two of them
    with connection.cursor() as cursor:
        cursor.execute(
            _REQUESTS_UPSERT,
            [[user for user, _ in keys], [day for _, day in keys], [counts[key] for key in keys]],
        )


@dataclass(frozen=True)
class RollupResult:
    event_days: list[date]  # days rebuilt from raw events
    request_log_days: list[date]  # days rebuilt from raw request logs
    activity_rows: int
    revenue_rows: int
    request_rows: int


@transaction.atomic
def usage_rollup(*, since: date | None = None, until: date | None = None) -> RollupResult:
    """Rebuild daily usage exactly from the raw rows, for the days from ``since`` to ``until``
    (inclusive; default: all) that still have raw rows: a day whose partition retention dropped
    keeps the numbers it has."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [USAGE_LOCK])  # waits for the increments
    event_days = _days_with_partitions(EVENTS, since, until)
    request_log_days = _days_with_partitions(REQUEST_LOGS, since, until)
    with connection.cursor() as cursor:
        activity_rows = _rebuild(cursor, "analytics_usage_activity", event_days, _ACTIVITY_SQL)
        revenue_rows = _rebuild(cursor, "analytics_usage_revenue", event_days, _REVENUE_SQL)
        request_rows = _rebuild(cursor, "analytics_usage_requests", request_log_days, _REQUESTS_SQL)
    return RollupResult(event_days, request_log_days, activity_rows, revenue_rows, request_rows)


def _days_with_partitions(table: PartitionedTable, since: date | None, until: date | None) -> list[date]:
    return [
        day
        for day in partition_days(table)
        if (since is None or day >= since) and (until is None or day <= until)
    ]


def _rebuild(cursor, table: str, days: list[date], select_sql: str) -> int:
    if not days:
        return 0
    cursor.execute(f"DELETE FROM {table} WHERE day = ANY(%(days)s)", {"days": days})
    cursor.execute(
        select_sql,
        {"days": days, "start": day_start(days[0]), "end": day_start(days[-1] + timedelta(days=1))},
    )
    return cursor.rowcount


# --- the rollup's SQL, generated from the rules -------------------------------------------------

_DAY = "(occurred_at AT TIME ZONE 'UTC')::date"
_RAW_EVENTS = f"FROM analytics_event WHERE occurred_at >= %(start)s AND occurred_at < %(end)s AND {_DAY} = ANY(%(days)s)"


def _activity_sql() -> str:
    counted = {key: rule for key, rule in RULES.items() if rule.counter}
    user = sql_user(counted)
    columns = []
    for counter in ACTIVITY_COUNTERS:
        if counter == "media_sent":
            with_media = {key: rule for key, rule in counted.items() if rule.counts_media}
            columns.append(f"count(*) FILTER (WHERE {sql_is_one_of(with_media)} AND {SQL_HAS_MEDIA})")
        else:
            of_counter = {key: rule for key, rule in counted.items() if rule.counter == counter}
            columns.append(f"count(*) FILTER (WHERE {sql_is_one_of(of_counter)})")
    return (
        f"INSERT INTO analytics_usage_activity (user_id, day, {_COUNTERS}) "
        f"SELECT {user}::uuid, {_DAY}, {', '.join(columns)} {_RAW_EVENTS} "
        f"AND {sql_is_one_of(counted)} AND {user} ~ {sql_literal(UUID_PATTERN)} GROUP BY 1, 2"
    )


def _revenue_sql() -> str:
    user = sql_user(REVENUE_RULES)
    return (
        "INSERT INTO analytics_usage_revenue (user_id, day, currency, amount) "
        f"SELECT {user}::uuid, {_DAY}, payload->>'currency', sum({SQL_SIGNED_AMOUNT}) {_RAW_EVENTS} "
        f"AND {SQL_IS_VALID_MONEY_EVENT} AND {user} ~ {sql_literal(UUID_PATTERN)} GROUP BY 1, 2, 3"
    )


_ACTIVITY_SQL = _activity_sql()
_REVENUE_SQL = _revenue_sql()
_REQUESTS_SQL = (
    "INSERT INTO analytics_usage_requests (user_id, day, api_requests) "
    f"SELECT user_id, {_DAY}, count(*) FROM analytics_request_log "
    f"WHERE occurred_at >= %(start)s AND occurred_at < %(end)s AND {_DAY} = ANY(%(days)s) "
    "AND user_id IS NOT NULL GROUP BY 1, 2"
)
