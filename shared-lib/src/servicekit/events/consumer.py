"""The event consumer (``manage.py consume_events``): the service's queue → its handlers.

Messages arrive with a prefetch in the hundreds and are handled a batch at a time (see
:mod:`servicekit.events.inbox`); the batch is acknowledged, with one ``multiple`` ack,
only after its transaction committed. A failed event is re-published to a retry queue
that holds it for the next backoff delay and then returns it to the service's queue;
after the last attempt it goes to the dead-letter queue with the error in its headers.
Those publishes are confirmed before the original is acknowledged, so nothing is dropped.
Heartbeats detect a dead connection; the consumer reconnects by itself, with backoff.
"""

from __future__ import annotations

import contextlib
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pika
from django.db import connection as db_connection

from servicekit.events.conf import EventsConf, events_conf
from servicekit.events.envelope import Event, MalformedEvent
from servicekit.events.inbox import DatabaseUnavailable, Outcome, handle_events
from servicekit.events.process import StopFlag
from servicekit.events.registry import Registry, load_registry
from servicekit.events.tables import INBOX_TABLE
from servicekit.events.topology import connection_parameters, declare_service_queues

logger = logging.getLogger("servicekit.events.consumer")

ATTEMPTS_HEADER = "x-servicekit-attempts"
ERROR_HEADER = "x-servicekit-error"
REASON_HEADER = "x-servicekit-reason"
FAILED_AT_HEADER = "x-servicekit-failed-at"
ORIGIN_HEADER = "x-servicekit-queue"
MAX_ERROR_CHARS = 8000
PRUNE_EVERY_SECONDS = 600.0
REPORT_EVERY_SECONDS = 60.0


@dataclass
class Delivery:
    tag: int
    properties: pika.BasicProperties
    body: bytes

    @property
    def attempts(self) -> int:
        """Attempts already made (0 on first delivery); carried across retry queues.

        Raises :class:`MalformedEvent` if the header is not a count (a message we did not
        write ourselves)."""
        return parse_attempts((self.properties.headers or {}).get(ATTEMPTS_HEADER, 0))

    @property
    def attempts_or_zero(self) -> int:
        try:
            return self.attempts
        except MalformedEvent:
            return 0


def parse_attempts(value: Any) -> int:
    """An attempts header as a count; anything else (text, a table, a negative number) is malformed."""
    if isinstance(value, bytes):
        value = value.decode("ascii", errors="replace")
    try:
        attempts = int(value)
    except Exception as exc:  # ValueError, TypeError, OverflowError: someone else's header
        raise MalformedEvent(f"{ATTEMPTS_HEADER} is not a count: {str(value)[:50]!r}") from exc
    if isinstance(value, bool) or attempts < 0:
        raise MalformedEvent(f"{ATTEMPTS_HEADER} is not a count: {str(value)[:50]!r}")
    return attempts


class Consumer:
    def __init__(
        self,
        registry: Registry | None = None,
        conf: EventsConf | None = None,
        *,
        broker_url: str | None = None,
    ) -> None:
        self.conf = conf or events_conf()
        self.registry = registry or load_registry(self.conf.handlers_module)
        self.broker_url = broker_url or self.conf.broker_url
        self.connections = 0
        self.stats = {"handled": 0, "duplicates": 0, "retried": 0, "dead_lettered": 0}
        self._last_prune = 0.0
        self._last_report = time.monotonic()

    def run(self, stop: StopFlag) -> None:
        """Consume until ``stop`` is set; reconnects with backoff whenever the broker goes away."""
        delay = 0.5
        logger.info("consuming %s for %s", self.conf.queue, ", ".join(self.registry.types) or "(no types)")
        while not stop.is_set():
            connected_before = self.connections
            try:
                self._consume(stop)
            except (pika.exceptions.AMQPError, OSError) as exc:
                logger.warning("broker connection lost: %r; reconnecting", exc)
            except Exception:
                # A bug or a message nothing foresaw: never let it end the process (a crash
                # loop helps nobody). Closing the connection returns the batch to the queue;
                # a message that keeps failing this way is dead-lettered by the broker after
                # EVENTS_DELIVERY_LIMIT deliveries (x-death reason delivery_limit).
                logger.exception("the consumer failed; reconnecting")
            if self.connections > connected_before:
                delay = 0.5
            stop.wait(delay)
            delay = min(delay * 2, 10.0)
        logger.info("consumer stopped; events consumed: %s", self.stats)

    def _consume(self, stop: StopFlag) -> None:
        connection = pika.BlockingConnection(connection_parameters(self.conf, "consumer", self.broker_url))
        try:
            channel = connection.channel()
            declare_service_queues(channel, self.conf, self.registry.types)
            channel.basic_qos(prefetch_count=self.conf.prefetch)
            publish_channel = connection.channel()
            publish_channel.confirm_delivery()
            buffer: list[Delivery] = []
            channel.basic_consume(
                self.conf.queue,
                on_message_callback=lambda _ch, method, props, body: buffer.append(
                    Delivery(method.delivery_tag, props, body)
                ),
            )
            self.connections += 1
            logger.info("connected to the broker (connection #%d)", self.connections)
            while not stop.is_set():
                connection.process_data_events(time_limit=1.0)
                if buffer:
                    batch = buffer[:]
                    buffer.clear()
                    if not self.process(batch, channel, publish_channel, connection, stop):
                        return  # stopping mid-outage: unacknowledged messages go back to the queue
                self.housekeeping()
        finally:
            if connection.is_open:
                with contextlib.suppress(Exception):
                    connection.close()

    def process(
        self,
        batch: list[Delivery],
        channel: Any,
        publish_channel: Any,
        connection: Any,
        stop: StopFlag,
    ) -> bool:
        """Handle, settle and acknowledge one batch; False if stopped before it could be handled."""
        parsed: list[tuple[Delivery, Event]] = []
        malformed: list[tuple[Delivery, str]] = []
        for delivery in batch:
            try:
                _ = delivery.attempts  # a foreign header fails here, not when settling the batch
                parsed.append((delivery, Event.from_json(delivery.body)))
            except MalformedEvent as exc:
                malformed.append((delivery, str(exc)))
            except Exception as exc:  # nothing in a message may crash the consumer
                malformed.append((delivery, f"unreadable message: {exc!r}"[:MAX_ERROR_CHARS]))
        outcomes = self._handle_until_database_answers([event for _, event in parsed], connection, stop)
        if outcomes is None:
            return False
        for (delivery, _), outcome in zip(parsed, outcomes, strict=True):
            self._settle(delivery, outcome, publish_channel)
        for delivery, error in malformed:
            logger.error("malformed message dead-lettered: %s", error)
            self._dead_letter(delivery, publish_channel, "malformed", error)
        channel.basic_ack(delivery_tag=batch[-1].tag, multiple=True)
        return True

    def _handle_until_database_answers(
        self, events: list[Event], connection: Any, stop: StopFlag
    ) -> list[Outcome] | None:
        delay = 0.5
        while True:
            try:
                return handle_events(events, self.registry)
            except DatabaseUnavailable as exc:
                logger.warning("database unavailable, holding %d events: %s", len(events), exc)
                if stop.is_set():
                    return None
                connection.sleep(delay)  # keeps heartbeats flowing
                delay = min(delay * 2, 10.0)

    def _settle(self, delivery: Delivery, outcome: Outcome, publish_channel: Any) -> None:
        self.stats["handled"] += len(outcome.handled)
        self.stats["duplicates"] += len(outcome.duplicates)
        if outcome.ok:
            return
        attempt = delivery.attempts + 1
        if not outcome.retryable:
            self._dead_letter(delivery, publish_channel, "no_handler", outcome.error or "", attempt)
        elif attempt >= self.conf.max_attempts:
            logger.error(
                "%s %s failed %d times; dead-lettered",
                outcome.event.type,
                outcome.event.id,
                attempt,
                extra={"event_id": outcome.event.id},
            )
            self._dead_letter(delivery, publish_channel, "handler_failed", outcome.error or "", attempt)
        else:
            delay = self.conf.retry_delays_seconds[attempt - 1]
            self.stats["retried"] += 1
            publish_channel.basic_publish(
                "",
                self.conf.retry_queue(delay),
                delivery.body,
                _with_headers(
                    delivery.properties, {ATTEMPTS_HEADER: attempt, ERROR_HEADER: _short(outcome.error)}
                ),
                mandatory=True,  # no retry queue: raise, and the original is redelivered, not lost
            )

    def _dead_letter(
        self, delivery: Delivery, publish_channel: Any, reason: str, error: str, attempt: int | None = None
    ) -> None:
        self.stats["dead_lettered"] += 1
        publish_channel.basic_publish(
            self.conf.dead_letter_exchange,
            "",
            delivery.body,
            _with_headers(
                delivery.properties,
                {
                    ATTEMPTS_HEADER: attempt if attempt is not None else delivery.attempts_or_zero + 1,
                    REASON_HEADER: reason,
                    ERROR_HEADER: _short(error),
                    FAILED_AT_HEADER: datetime.now(UTC).isoformat(),
                    ORIGIN_HEADER: self.conf.queue,
                },
            ),
            mandatory=True,
        )

    def housekeeping(self) -> None:
        now = time.monotonic()
        if now - self._last_report >= REPORT_EVERY_SECONDS:
            self._last_report = now
            logger.info("events consumed so far: %s", self.stats)
        if now - self._last_prune >= PRUNE_EVERY_SECONDS:
            self._last_prune = now
            try:
                prune_inbox(self.conf.inbox_retention_days)
            except Exception:
                logger.warning("could not prune the inbox", exc_info=True)


def prune_inbox(retention_days: float, chunk: int = 5000) -> int:
    """Forget handled events older than the retention (it must exceed any redelivery window)."""
    table = db_connection.ops.quote_name(INBOX_TABLE)
    deleted = 0
    while True:
        with db_connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {table} WHERE (event_id, handler) IN (SELECT event_id, handler FROM {table} "
                "WHERE handled_at < now() - make_interval(days => %s) LIMIT %s)",
                [int(retention_days), chunk],
            )
            deleted += cursor.rowcount
            if cursor.rowcount < chunk:
                return deleted


def _short(text: str | None) -> str:
    text = text or ""
    return text if len(text) <= MAX_ERROR_CHARS else "…" + text[-MAX_ERROR_CHARS:]


def _with_headers(properties: pika.BasicProperties, headers: dict[str, Any]) -> pika.BasicProperties:
    return pika.BasicProperties(
        content_type=properties.content_type or "application/json",
        delivery_mode=pika.DeliveryMode.Persistent,
        message_id=properties.message_id,
        type=properties.type,
        app_id=properties.app_id,
        headers={**_own_headers(properties.headers), **headers},
    )


def _own_headers(headers: dict[str, Any] | None) -> dict[str, Any]:
    """Drop the broker's bookkeeping (x-death, x-delivery-count) when re-publishing."""
    return {
        key: value for key, value in (headers or {}).items() if key not in {"x-death", "x-delivery-count"}
    }
