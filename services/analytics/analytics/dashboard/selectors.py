"""What the dashboard's charts draw: the metrics selectors' rows for one period, as series
aligned on the period's buckets (every bucket present, zeros included)."""

from __future__ import annotations

from typing import Any

from analytics.metrics import selectors as metrics
from analytics.metrics.period import Period


def dashboard_charts(*, period: Period) -> dict[str, Any]:
    """Every chart's data: sign-ups, orders and revenue (per currency) over time, message
    delivery and build success per bucket, and latency (p50/p95) and errors per service over
    the whole period. Amounts are strings (never floats), rates fractions or None."""
    signups = metrics.signups(period=period)
    buckets = [row["bucket"] for row in signups]
    delivery = metrics.message_delivery_rate(period=period)
    builds = metrics.build_success_rate(period=period)
    return {
        "period": {
            "from": period.start.isoformat(),
            "to": period.end.isoformat(),
            "granularity": period.granularity,
        },
        "buckets": [bucket.isoformat() for bucket in buckets],
        "signups": [row["signups"] for row in signups],
        "orders": [row["orders"] for row in metrics.orders_placed(period=period)],
        "revenue": _revenue_by_currency(period, buckets),
        "delivery": _columns(delivery, "sent", "delivered", "rate"),
        "builds": _columns(builds, "published", "failed", "rate"),
        "services": [
            {key: row[key] for key in ("service", "requests", "p50_ms", "p95_ms", "errors", "error_rate")}
            for row in metrics.request_stats(period=period, per_bucket=False, per_route=False)
        ],
    }


def _revenue_by_currency(period: Period, buckets: list[Any]) -> dict[str, list[str]]:
    """Currency → its amount in each bucket (the selector has a row per bucket and currency
    seen in the period)."""
    index = {bucket: position for position, bucket in enumerate(buckets)}
    series: dict[str, list[str]] = {}
    for row in metrics.revenue(period=period):
        amounts = series.setdefault(row["currency"], ["0.0000"] * len(buckets))
        amounts[index[row["bucket"]]] = f"{row['amount']:.4f}"
    return dict(sorted(series.items()))


def _columns(rows: list[dict[str, Any]], *names: str) -> dict[str, list[Any]]:
    return {name: [row[name] for row in rows] for name in names}
