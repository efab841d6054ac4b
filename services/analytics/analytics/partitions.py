"""Daily range partitions of the append-only tables (raw events, request logs).

Each table is ``PARTITION BY RANGE`` on its time column (migrations ``0001``); a partition holds
one UTC day and is named ``<table>_pYYYYMMDD``. Partitions are made ahead by a beat task, and by
ingestion when a row falls outside them (an event replayed from long ago, a clock far ahead).
Retention drops whole partitions: no DELETE, no dead rows, no vacuum debt.

Making or dropping a partition takes a short exclusive lock on the parent table; both wait at
most ``LOCK_TIMEOUT`` for it, so a long report query delays them instead of the ingestion queue
piling up behind them.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TypeVar

from django.db import IntegrityError, connection, transaction

LOCK_TIMEOUT = "5s"
T = TypeVar("T")


@dataclass(frozen=True)
class PartitionedTable:
    name: str
    # Days known to have a partition, per process: most inserts need no catalogue lookup.
    known_days: set[date] = field(default_factory=set, compare=False, hash=False)

    def partition_name(self, day: date) -> str:
        return f"{self.name}_p{day:%Y%m%d}"

    def day_of(self, partition: str) -> date | None:
        prefix = f"{self.name}_p"
        if not partition.startswith(prefix):
            return None
        try:
            return datetime.strptime(partition.removeprefix(prefix), "%Y%m%d").date()
        except ValueError:
            return None


EVENTS = PartitionedTable("analytics_event")
REQUEST_LOGS = PartitionedTable("analytics_request_log")
TABLES = (EVENTS, REQUEST_LOGS)


def utc_day(moment: datetime) -> date:
    return moment.astimezone(UTC).date()


def day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def partition_days(table: PartitionedTable) -> list[date]:
    """The days that have a partition, in order."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT child.relname FROM pg_inherits JOIN pg_class child ON child.oid = pg_inherits.inhrelid "
            "WHERE pg_inherits.inhparent = to_regclass(%s)",
            [table.name],
        )
        days = (table.day_of(name) for (name,) in cursor.fetchall())
        return sorted(day for day in days if day is not None)


def ensure_partitions(table: PartitionedTable, days: Iterable[date]) -> list[date]:
    """Make the partitions of ``days`` that do not exist yet; returns the days made."""
    wanted = set(days) - table.known_days
    if not wanted:
        return []
    made = []
    with transaction.atomic():
        _lock(table)  # one maker at a time: two CREATEs of one partition would collide
        missing = sorted(wanted - set(partition_days(table)))
        with _lock_timeout(), connection.cursor() as cursor:
            for day in missing:
                # DDL takes no bind parameters: the bounds are literals made from dates.
                cursor.execute(
                    f"CREATE TABLE {_quote(table.partition_name(day))} PARTITION OF {_quote(table.name)} "
                    f"FOR VALUES FROM ('{day.isoformat()} 00:00:00+00') TO ('{day + timedelta(days=1)} 00:00:00+00')"
                )
                made.append(day)
    # Only after commit: a partition made in a transaction that rolls back does not exist.
    transaction.on_commit(lambda: table.known_days.update(wanted))
    return made


def create_ahead(table: PartitionedTable, *, today: date, days_ahead: int) -> list[date]:
    """Partitions for today and the next ``days_ahead`` days."""
    return ensure_partitions(table, (today + timedelta(days=n) for n in range(days_ahead + 1)))


def drop_before(table: PartitionedTable, *, cutoff: date) -> list[date]:
    """Drop every partition of a day before ``cutoff`` (its rows with them); returns those days."""
    dropped = []
    with transaction.atomic():
        _lock(table)
        with _lock_timeout(), connection.cursor() as cursor:
            for day in partition_days(table):
                if day < cutoff:
                    cursor.execute(f"DROP TABLE {_quote(table.partition_name(day))}")
                    dropped.append(day)
    table.known_days.difference_update(dropped)
    return dropped


def insert_with_partitions(table: PartitionedTable, days: Iterable[date], insert: Callable[[], T]) -> T:
    """Run ``insert`` once the partitions of ``days`` exist.

    If one was dropped since this process last looked (retention), the insert fails: the
    process forgets what it knew, so a retry makes the partition again."""
    ensure_partitions(table, days)
    try:
        return insert()
    except IntegrityError as exc:
        if "no partition of relation" in str(exc):
            table.known_days.clear()
        raise


def _lock(table: PartitionedTable) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [zlib.crc32(table.name.encode())])


@contextmanager
def _lock_timeout() -> Iterator[None]:
    """``lock_timeout`` for the DDL only: the transaction around it (the consumer's batch) may
    go on to do other things, with its own setting."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('lock_timeout')")
        (previous,) = cursor.fetchone()
        cursor.execute("SELECT set_config('lock_timeout', %s, true)", [LOCK_TIMEOUT])
    yield
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('lock_timeout', %s, true)", [previous])


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)
