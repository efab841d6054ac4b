"""Handling events exactly once per (event, handler): the inbox.

Each handler runs in one transaction with the insertion of its inbox row, keyed by
(event id, handler name); a redelivered event finds the row and is skipped. A batch is
handled in a single transaction (one bulk inbox insert, one commit); if any handler
fails, the batch is rolled back and replayed one (event, handler) per transaction, so a
poison event cannot hold back the others and each event's outcome is its own.

Once its outcome is settled (committed, skipped as a duplicate, or failed), every (event,
handler) writes one log line, under the event's correlation id as its request id: the event's
type and id, the handler, the outcome and how long the handler ran. ``grep <request id>``
then follows a request from the gateway through every event it caused.
"""

from __future__ import annotations

import logging
import time
import traceback
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.db import (
    DatabaseError,
    InterfaceError,
    OperationalError,
    close_old_connections,
    connection,
    transaction,
)

from servicekit.events.envelope import Event
from servicekit.events.outbox_writer import handling
from servicekit.events.registry import Registry, Subscription
from servicekit.events.tables import INBOX_TABLE
from servicekit.observability.context import request_id_scope

logger = logging.getLogger("servicekit.events.inbox")
# One line per (event, handler) once its outcome is known.
handled_logger = logging.getLogger("servicekit.events.handled")


class DatabaseUnavailable(Exception):
    """The database cannot be reached: not the event's fault, retry the batch later."""


@dataclass
class Outcome:
    event: Event
    handled: list[str] = field(default_factory=list)  # handler names that ran now
    duplicates: list[str] = field(default_factory=list)  # handler names that had already run
    error: str | None = None  # the first handler failure (traceback), if any
    retryable: bool = True  # False: no handler will ever take it (dead-letter at once)
    failed: list[str] = field(default_factory=list)  # handler names that raised
    durations_ms: dict[str, float] = field(default_factory=dict)  # handler name -> its last run

    @property
    def ok(self) -> bool:
        return self.error is None


def handle_events(events: list[Event], registry: Registry) -> list[Outcome]:
    """Run each event's handlers once; returns one outcome per event, in order.

    Raises :class:`DatabaseUnavailable` when the database is down; whatever was committed
    before stays handled (its inbox rows exist), so handling the batch again is safe.
    """
    outcomes = [Outcome(event) for event in events]
    items: list[tuple[Outcome, Subscription]] = []
    seen: set[tuple[str, str]] = set()
    for outcome in outcomes:
        subscriptions = registry.handlers_for(outcome.event)
        if not subscriptions:
            outcome.error = f"no handler for {outcome.event.type} v{outcome.event.version} in this service"
            outcome.retryable = False
        for subscription in subscriptions:
            key = (outcome.event.id, subscription.name)
            if key in seen:  # the same event twice in one batch (a relay retry): once is enough
                outcome.duplicates.append(subscription.name)
                continue
            seen.add(key)
            items.append((outcome, subscription))
    if items:
        try:
            ran = _run_in_one_transaction(items)
        except Exception:
            logger.debug("batch of %d failed; handling one by one", len(items), exc_info=True)
            _check_database()
            for item in items:
                _run_alone(item)
        else:
            for (outcome, subscription), did_run in zip(items, ran, strict=True):
                (outcome.handled if did_run else outcome.duplicates).append(subscription.name)
    for outcome in outcomes:
        log_outcome(outcome)
    return outcomes


def correlation_of(event: Event) -> str:
    """The request id an event's handling runs and logs under: its correlation id (else its id)."""
    return event.correlation_id or event.id


def log_outcome(outcome: Outcome) -> None:
    """One line per (event, handler): ``handled``, ``duplicate`` or ``failed``; ``no_handler``
    (handler ``-``) for an event no handler here takes."""
    results = [
        *((name, "handled") for name in outcome.handled),
        *((name, "duplicate") for name in outcome.duplicates),
        *((name, "failed") for name in outcome.failed),
    ]
    if not results and not outcome.retryable:
        results = [("-", "no_handler")]
    event = outcome.event
    with request_id_scope(correlation_of(event)):
        for handler, result in results:
            duration_ms = round(outcome.durations_ms.get(handler, 0.0), 2)
            handled_logger.log(
                logging.WARNING if result in ("failed", "no_handler") else logging.INFO,
                "event %s %s %s: %s in %.2f ms",
                event.type,
                event.id,
                handler,
                result,
                duration_ms,
                extra={
                    "event_type": event.type,
                    "event_id": event.id,
                    "handler": handler,
                    "outcome": result,
                    "duration_ms": duration_ms,
                },
            )


def deliver(event: Event, registry: Registry) -> Outcome:
    """Handle one event in one transaction and let a handler's exception propagate (tests)."""
    outcome = Outcome(event)
    items = [(outcome, subscription) for subscription in registry.handlers_for(event)]
    if not items:
        raise LookupError(f"no handler for {event.type} v{event.version} in this registry")
    for (_, subscription), did_run in zip(items, _run_in_one_transaction(items), strict=True):
        (outcome.handled if did_run else outcome.duplicates).append(subscription.name)
    log_outcome(outcome)
    return outcome


def _run_in_one_transaction(items: list[tuple[Outcome, Subscription]]) -> list[bool]:
    """Every item in one transaction; returns, per item, whether it ran (or had already)."""
    with transaction.atomic():
        fresh = _insert_inbox_rows(items)
        ran = []
        for outcome, subscription in items:
            is_fresh = (outcome.event.id, subscription.name) in fresh
            if is_fresh:
                _call(subscription, outcome)
            ran.append(is_fresh)
        return ran


def _run_alone(item: tuple[Outcome, Subscription]) -> None:
    outcome, subscription = item
    try:
        with transaction.atomic():
            is_fresh = bool(_insert_inbox_rows([item]))
            if is_fresh:
                _call(subscription, outcome)
        (outcome.handled if is_fresh else outcome.duplicates).append(subscription.name)
    except Exception as exc:
        if isinstance(exc, OperationalError | InterfaceError):
            _check_database()
        outcome.failed.append(subscription.name)
        if outcome.error is None:
            outcome.error = f"{subscription.name}: " + "".join(traceback.format_exception(exc)).strip()
        logger.warning(
            "handler %s failed on %s %s",
            subscription.name,
            outcome.event.type,
            outcome.event.id,
            exc_info=True,
            extra={"event_id": outcome.event.id, "event_type": outcome.event.type},
        )


def _call(subscription: Subscription, outcome: Outcome) -> None:
    event = outcome.event
    started = time.perf_counter()
    try:
        with request_id_scope(correlation_of(event)), handling(event):
            subscription.func(subscription.narrow(event))
    finally:
        outcome.durations_ms[subscription.name] = (time.perf_counter() - started) * 1000


def _insert_inbox_rows(items: list[tuple[Outcome, Subscription]]) -> set[tuple[str, str]]:
    """Insert the inbox rows; returns the keys that were new (the others already ran)."""
    table = connection.ops.quote_name(INBOX_TABLE)
    now = datetime.fromtimestamp(time.time(), UTC)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (event_id, handler, type, handled_at) "
            "SELECT * FROM unnest(%s::uuid[], %s::text[], %s::text[], %s::timestamptz[]) "
            "ON CONFLICT DO NOTHING RETURNING event_id::text, handler",
            [
                [outcome.event.id for outcome, _ in items],
                [subscription.name for _, subscription in items],
                [outcome.event.type for outcome, _ in items],
                [now] * len(items),
            ],
        )
        return {(event_id, handler) for event_id, handler in cursor.fetchall()}


def _check_database() -> None:
    """Raise DatabaseUnavailable if the database cannot answer; otherwise the failure was the handler's."""
    if connection.in_atomic_block:  # an outer transaction is open (tests): the database is there
        return
    close_old_connections()
    try:
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as exc:
        connection.close()
        raise DatabaseUnavailable(str(exc)) from exc
