"""Moving request logs from the Redis stream the services ship to (``servicekit.observability.
requestlog``) into Postgres, exactly once: the rows, the users' request counts and the cursor
past them commit together; the stream is trimmed only afterwards."""

from __future__ import annotations

import ipaddress
import logging
import math
import re
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from django.db import connection, transaction

from analytics.partitions import REQUEST_LOGS, insert_with_partitions, utc_day
from analytics.usage.rules import UUID_PATTERN
from analytics.usage.services import usage_record_requests
from servicekit.observability.requestlog import decode_entry

logger = logging.getLogger("analytics.requestlogs")

COLUMNS = (
    "occurred_at",
    "service",
    "method",
    "route",
    "status",
    "error_code",
    "duration_ms",
    "user_id",
    "client_ip",
    "request_id",
)
COLUMN_TYPES = ("timestamptz", "text", "text", "text", "smallint", "text", "float8", "uuid", "inet", "text")
INSERT = (
    f"INSERT INTO analytics_request_log ({', '.join(COLUMNS)}) "
    f"SELECT * FROM unnest({', '.join(f'%s::{kind}[]' for kind in COLUMN_TYPES)})"
)
# Anything longer came from no service of ours; cut rather than lose the request.
MAX_TEXT = {"service": 64, "method": 16, "route": 1000, "error_code": 100, "request_id": 128}


@dataclass(frozen=True)
class IngestResult:
    entries: int  # stream entries taken
    stored: int  # request rows stored
    skipped: int  # records (or whole entries) that were not request logs
    last_id: str  # the cursor after this call


def request_logs_ingest(*, client: Any, stream: str, max_entries: int) -> IngestResult:
    """Store up to ``max_entries`` stream entries after the cursor; the stream is trimmed up to
    them once the transaction commits."""
    with transaction.atomic():
        last_id = _lock_cursor(stream)
        response = client.xread({stream: last_id}, count=max_entries)
        entries = response[0][1] if response else []
        if not entries:
            return IngestResult(0, 0, 0, last_id)
        rows, skipped = [], 0
        for entry_id, fields in entries:
            try:
                records = decode_entry(fields)
            except (ValueError, KeyError) as exc:
                logger.warning("skipping stream entry %s: %s", entry_id, exc)
                skipped += 1
                continue
            for record in records:
                row = row_of(record)
                if row is None:
                    skipped += 1
                else:
                    rows.append(row)
        _store(rows)
        last_id = _text(entries[-1][0])
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE analytics_request_log_cursor SET last_id = %s, updated_at = now() WHERE stream = %s",
                [last_id, stream],
            )
        # Entries up to the cursor are in Postgres now; trim them (keeping the cursor's own is
        # harmless: XREAD starts after it).
        transaction.on_commit(lambda: client.xtrim(stream, minid=last_id, approximate=False))
    if skipped:
        logger.warning("skipped %d request log records that were not well formed", skipped)
    return IngestResult(len(entries), len(rows), skipped, last_id)


def _lock_cursor(stream: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO analytics_request_log_cursor (stream, last_id, updated_at) VALUES (%s, '0-0', now()) "
            "ON CONFLICT (stream) DO NOTHING",
            [stream],
        )
        # Two ingesters take turns: the second reads the cursor the first left.
        cursor.execute(
            "SELECT last_id FROM analytics_request_log_cursor WHERE stream = %s FOR UPDATE", [stream]
        )
        return cursor.fetchone()[0]


def _store(rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    columns = [[row[column] for row in rows] for column in COLUMNS]

    def insert() -> None:
        with connection.cursor() as cursor:
            cursor.execute(INSERT, columns)

    insert_with_partitions(REQUEST_LOGS, {utc_day(row["occurred_at"]) for row in rows}, insert)
    counts: Counter[tuple[str, date]] = Counter(
        (row["user_id"], utc_day(row["occurred_at"])) for row in rows if row["user_id"]
    )
    usage_record_requests(counts=counts)


def row_of(record: Any) -> dict[str, Any] | None:
    """A request row from a shipped record, or None if it is not one. Optional parts that are
    not what they should be (a user id that is no UUID, an address that is none) become null."""
    if not isinstance(record, dict):
        return None

    def text(name: str) -> str | None:
        value = record.get(name)
        return value[: MAX_TEXT[name]] if isinstance(value, str) and value else None

    at, status, duration = record.get("at"), record.get("status"), record.get("duration_ms")
    service, method, route = text("service"), text("method"), text("route")
    if not (service and method and route and _is_number(at) and _is_number(duration) and duration >= 0):
        return None
    if not (isinstance(status, int) and not isinstance(status, bool) and 100 <= status <= 599):
        return None
    try:
        occurred_at = datetime.fromtimestamp(at, UTC)
    except (OverflowError, OSError, ValueError):
        return None
    return {
        "occurred_at": occurred_at,
        "service": service,
        "method": method,
        "route": route,
        "status": status,
        "error_code": text("error_code") or "",
        "duration_ms": float(duration),
        "user_id": _uuid(record.get("user_id")),
        "client_ip": _address(record.get("client_ip")),
        "request_id": text("request_id") or "",
    }


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _uuid(value: Any) -> str | None:
    return str(uuid.UUID(value)) if isinstance(value, str) and re.fullmatch(UUID_PATTERN, value) else None


def _address(value: Any) -> str | None:
    try:
        return str(ipaddress.ip_address(value)) if isinstance(value, str) else None
    except ValueError:
        return None


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
