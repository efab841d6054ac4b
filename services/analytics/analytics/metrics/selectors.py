"""Platform metrics over the raw events and request logs, for a :class:`Period`.

Every metric returns one dict per bucket (request statistics: per bucket, service and route),
oldest first; buckets with nothing in them are there with zeros, so a chart has no holes.
Rates are fractions (0.25), rounded to four places, and None where nothing was there to rate.
Funnels (conversion, rejection, delivery) follow a cohort: of the orders placed (messages sent)
in a bucket, how many were paid (delivered) by now, whenever that happened.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import OperationalError, connection, transaction
from psycopg.errors import QueryCanceled

from analytics.metrics.errors import MetricsErrorCode
from analytics.metrics.period import GRANULARITIES, Period
from analytics.usage.rules import SQL_IS_VALID_MONEY_EVENT, SQL_SIGNED_AMOUNT
from servicekit.envelope import ApplicationError

SIGNED_UP = "identity.user.registered"
ORDER_PLACED = "orders.order.placed"
ORDER_PAID = "orders.order.paid"
ORDER_REJECTED = "orders.order.rejected"
BUILD_PUBLISHED = "builds.build.published"
BUILD_FAILED = "builds.build.failed"
MESSAGE_SENT = "messaging.message.sent"
MESSAGE_DELIVERED = ("messaging.message.delivered", "messaging.message.read")  # read implies delivered

# Payload fields read beyond the envelope (type, subject, occurred_at), for the contract test;
# revenue reads the same fields as the usage rules (analytics.usage.rules).
METRIC_READS: dict[tuple[str, int], list[str]] = {
    (SIGNED_UP, 1): [],
    (ORDER_PLACED, 1): [],
    (ORDER_PAID, 1): ["amount", "currency"],
    ("orders.payment.refunded", 1): ["amount", "currency"],
    (ORDER_REJECTED, 1): [],
    (BUILD_PUBLISHED, 1): [],
    (BUILD_FAILED, 1): [],
    (MESSAGE_SENT, 1): [],
    **{(type_, 1): [] for type_ in MESSAGE_DELIVERED},
}

_BUCKET = "date_trunc(%(granularity)s, {}, 'UTC')"
_BUCKETS = (
    "buckets AS (SELECT generate_series(date_trunc(%(granularity)s, %(start)s::timestamptz, 'UTC'), "
    "%(end)s::timestamptz - interval '1 microsecond', %(step)s) AS bucket)"
)
_IN_PERIOD = "occurred_at >= %(start)s AND occurred_at < %(end)s"


def signups(*, period: Period) -> list[dict[str, Any]]:
    return _event_counts(period, signups=SIGNED_UP)


def orders_placed(*, period: Period) -> list[dict[str, Any]]:
    return _event_counts(period, orders=ORDER_PLACED)


def revenue(*, period: Period, currency: str | None = None) -> list[dict[str, Any]]:
    """Money paid net of refunds, per bucket and currency (each currency seen in the period)."""
    only_currency = "AND payload->>'currency' = %(currency)s" if currency else ""
    rows = _fetch(
        f"""
        WITH {_BUCKETS},
        money AS (
            SELECT {_BUCKET.format("occurred_at")} AS bucket, payload->>'currency' AS currency,
                   sum({SQL_SIGNED_AMOUNT}) AS amount
            FROM analytics_event WHERE {_IN_PERIOD} AND {SQL_IS_VALID_MONEY_EVENT} {only_currency}
            GROUP BY 1, 2
        ),
        currencies AS (SELECT DISTINCT currency FROM money)
        SELECT buckets.bucket, currencies.currency, coalesce(money.amount, 0)
        FROM buckets CROSS JOIN currencies LEFT JOIN money USING (bucket, currency)
        ORDER BY 1, 2
        """,
        {**_params(period), "currency": currency},
    )
    return [{"bucket": bucket, "currency": code, "amount": Decimal(amount)} for bucket, code, amount in rows]


def checkout_conversion(*, period: Period) -> list[dict[str, Any]]:
    """Of the orders placed in each bucket, how many were paid."""
    return _cohort(period, started=ORDER_PLACED, reached=[ORDER_PAID], names=("placed", "paid"))


def order_rejection_rate(*, period: Period) -> list[dict[str, Any]]:
    """Of the orders placed in each bucket, how many catalog rejected (stock not reserved)."""
    return _cohort(period, started=ORDER_PLACED, reached=[ORDER_REJECTED], names=("placed", "rejected"))


def message_delivery_rate(*, period: Period) -> list[dict[str, Any]]:
    """Of the messages sent in each bucket, how many were delivered (or read)."""
    return _cohort(period, started=MESSAGE_SENT, reached=list(MESSAGE_DELIVERED), names=("sent", "delivered"))


def build_success_rate(*, period: Period) -> list[dict[str, Any]]:
    """Builds published against builds failed, by when that happened."""
    rows = _event_counts(period, published=BUILD_PUBLISHED, failed=BUILD_FAILED)
    return [{**row, "rate": _rate(row["published"], row["published"] + row["failed"])} for row in rows]


def request_stats(
    *,
    period: Period,
    per_bucket: bool = True,
    per_route: bool = True,
    service: str | None = None,
    route: str | None = None,
    method: str | None = None,
    user_id: uuid.UUID | str | None = None,
) -> list[dict[str, Any]]:
    """Per (bucket,) service and route: requests, p50 and p95 latency (ms, interpolated) and the
    share of server errors (5xx). Only groups with requests appear; ``bucket`` is None when
    ``per_bucket`` is off (one row per route for the whole period), ``route`` None when
    ``per_route`` is off (one row per service: its percentiles over all its routes)."""
    filters = {"service": service, "route": route, "method": method and method.upper(), "user_id": user_id}
    conditions = "".join(f" AND {name} = %({name})s" for name, value in filters.items() if value is not None)
    bucket = _BUCKET.format("occurred_at") if per_bucket else "NULL::timestamptz"
    route_column = "route" if per_route else "NULL::text"
    rows = _fetch(
        f"""
        SELECT {bucket}, service, {route_column}, count(*),
               percentile_cont(0.5) WITHIN GROUP (ORDER BY duration_ms),
               percentile_cont(0.95) WITHIN GROUP (ORDER BY duration_ms),
               count(*) FILTER (WHERE status >= 500)
        FROM analytics_request_log WHERE {_IN_PERIOD}{conditions}
        GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
        """,
        {**_params(period), **filters},
    )
    return [
        {
            "bucket": bucket,
            "service": service_,
            "route": route_,
            "requests": requests,
            "p50_ms": round(p50, 3),
            "p95_ms": round(p95, 3),
            "errors": errors,
            "error_rate": _rate(errors, requests),
        }
        for bucket, service_, route_, requests, p50, p95, errors in rows
    ]


def _event_counts(period: Period, **types: str) -> list[dict[str, Any]]:
    """Per bucket, for each name → type: how many events of that type occurred in it."""
    columns = ", ".join(f"count(*) FILTER (WHERE type = %(type_{name})s) AS {name}" for name in types)
    rows = _fetch(
        f"""
        WITH {_BUCKETS},
        counted AS (
            SELECT {_BUCKET.format("occurred_at")} AS bucket, {columns}
            FROM analytics_event WHERE {_IN_PERIOD} AND type = ANY(%(types)s) GROUP BY 1
        )
        SELECT buckets.bucket, {", ".join(f"coalesce(counted.{name}, 0)" for name in types)}
        FROM buckets LEFT JOIN counted USING (bucket) ORDER BY 1
        """,
        {
            **_params(period),
            "types": list(types.values()),
            **{f"type_{name}": t for name, t in types.items()},
        },
    )
    return [{"bucket": bucket, **dict(zip(types, counts, strict=True))} for bucket, *counts in rows]


def _cohort(
    period: Period, *, started: str, reached: list[str], names: tuple[str, str]
) -> list[dict[str, Any]]:
    """Per bucket: events of ``started`` in it, and how many of their subjects (the aggregate:
    the order, the message) have an event of a ``reached`` type since the period began."""
    rows = _fetch(
        f"""
        WITH {_BUCKETS},
        reached AS (
            SELECT DISTINCT subject FROM analytics_event
            WHERE type = ANY(%(reached)s) AND occurred_at >= %(start)s
        ),
        cohort AS (
            SELECT {_BUCKET.format("started.occurred_at")} AS bucket, count(*) AS started,
                   count(reached.subject) AS reached
            FROM analytics_event started LEFT JOIN reached USING (subject)
            WHERE started.type = %(started)s
              AND started.occurred_at >= %(start)s AND started.occurred_at < %(end)s
            GROUP BY 1
        )
        SELECT buckets.bucket, coalesce(cohort.started, 0), coalesce(cohort.reached, 0)
        FROM buckets LEFT JOIN cohort USING (bucket) ORDER BY 1
        """,
        {**_params(period), "started": started, "reached": reached},
    )
    first, second = names
    return [
        {"bucket": bucket, first: began, second: got, "rate": _rate(got, began)}
        for bucket, began, got in rows
    ]


def _params(period: Period) -> dict[str, Any]:
    return {
        "granularity": period.granularity,
        "start": period.start,
        "end": period.end,
        "step": GRANULARITIES[period.granularity],
    }


def _fetch(sql: str, params: dict[str, Any]) -> list[tuple]:
    """Run a metric query with the memory it needs and no longer than it may take."""
    limits = settings.ANALYTICS
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "SELECT set_config('work_mem', %s, true), set_config('statement_timeout', %s, true)",
                [f"{limits['QUERY_WORK_MEM_MB']}MB", f"{round(limits['QUERY_TIMEOUT_SECONDS'] * 1000)}ms"],
            )
            cursor.execute(sql, params)
            return cursor.fetchall()
    except OperationalError as exc:
        if not isinstance(exc.__cause__, QueryCanceled):
            raise
        raise ApplicationError(
            f"The query took longer than {limits['QUERY_TIMEOUT_SECONDS']:g} s: ask for a shorter period.",
            code=MetricsErrorCode.QUERY_TIMEOUT,
            status_code=503,
        ) from exc


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None
