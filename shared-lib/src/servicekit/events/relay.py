"""The outbox relay (``manage.py relay_events``): committed outbox rows → the broker.

Loop: claim a batch (``FOR UPDATE SKIP LOCKED``, a lease instead of a long transaction),
publish it with pipelined publisher confirms, mark the confirmed rows sent (blanking the
payload of sensitive events, whose schema says ``"x-sensitive": true``) and give the
others back with a backoff. When nothing is claimable, wait on ``LISTEN`` for the ``NOTIFY``
that ``publish()`` issues at commit, but no longer than until the next row in backoff becomes
available (with a slow poll as a safety net). Every few seconds,
sweep rows whose lease expired (a relay died between publishing and marking them sent:
they are published again, and the consumer's inbox absorbs the duplicate); now and then,
prune rows sent longer ago than the retention period.
"""

from __future__ import annotations

import contextlib
import json
import logging
import select
import threading
import time
from typing import Any

import pika
from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, DatabaseError, close_old_connections, connections

from servicekit.events import outbox
from servicekit.events.broker_publisher import ConfirmingPublisher, Message
from servicekit.events.conf import EventsConf, events_conf
from servicekit.events.outbox_writer import notify_channel
from servicekit.events.process import StopFlag
from servicekit.events.schemas import UnknownEventType, sensitive_events
from servicekit.events.topology import connection_parameters, declare_exchange

logger = logging.getLogger("servicekit.events.relay")

PRUNE_EVERY_SECONDS = 600.0
VACUUM_EVERY_SECONDS = 10.0
VACUUM_AFTER_ROWS = 5000


class OutboxListener:
    """A dedicated autocommit connection LISTENing for the outbox's commit notifications."""

    def __init__(self, channel: str) -> None:
        self.channel = channel
        self._wrapper: Any = None

    def wait(self, timeout: float, stop: StopFlag | None = None) -> bool:
        """Block until notifications arrive (True: all of them are drained, one claim round
        serves them all), or ``timeout`` passes or ``stop`` is set (False). True at once when
        it has just (re)connected: what was committed before its LISTEN sent no wake-up."""
        try:
            if self._wrapper is None:
                self._connect()
                # A commit between the caller's last claim and this LISTEN notified nobody:
                # claim once more now that every later commit will wake us.
                return True
            raw = self._wrapper.connection
            if any(True for _ in raw.notifies(timeout=0)):  # received while it was not waiting
                return True
            watched = [raw, stop] if stop is not None else [raw]
            readable, _, _ = select.select(watched, [], [], timeout)
            return raw in readable and any(True for _ in raw.notifies(timeout=0))
        except Exception as exc:  # the database went away: fall back to sleeping, reconnect later
            logger.warning("LISTEN connection lost: %s", exc)
            self.close()
            pause = min(timeout, 1.0)
            stop.wait(pause) if stop is not None else time.sleep(pause)
            return False

    def _connect(self) -> Any:
        if self._wrapper is None:
            wrapper = connections.create_connection(DEFAULT_DB_ALIAS)
            wrapper.ensure_connection()
            wrapper.connection.execute(f'LISTEN "{self.channel}"')
            self._wrapper = wrapper
        return self._wrapper.connection

    def close(self) -> None:
        if self._wrapper is not None:
            with contextlib.suppress(Exception):
                self._wrapper.close()
            self._wrapper = None


class Relay:
    def __init__(self, conf: EventsConf | None = None, *, broker_url: str | None = None) -> None:
        self.conf = conf or events_conf()
        if self.conf.relay_lease_seconds <= self.conf.relay_publish_timeout_seconds:
            raise ImproperlyConfigured(
                "EVENTS_RELAY_LEASE_SECONDS must exceed EVENTS_RELAY_PUBLISH_TIMEOUT_SECONDS, or rows still "
                "being published would be swept and published again"
            )
        self.broker_url = broker_url or self.conf.broker_url
        self.publisher = ConfirmingPublisher(self.conf, role="relay", url=self.broker_url)
        self.listener = OutboxListener(notify_channel())
        self.relayed = 0
        self._last_sweep = 0.0
        self._last_prune = 0.0
        self._last_vacuum = 0.0
        self._relayed_at_last_vacuum = 0
        self._may_vacuum = True
        self._vacuum_thread: threading.Thread | None = None
        try:
            self._sensitive = sensitive_events()
        except UnknownEventType as exc:  # publish() cannot have run without the contracts either
            logger.warning("cannot read the event contracts (%s); no payload will be redacted", exc)
            self._sensitive = frozenset()
        self._sensitive_types = frozenset(type_ for type_, _ in self._sensitive)

    # --- one step ------------------------------------------------------------------------

    def relay_batch(self) -> int:
        """Claim, publish and settle one batch; returns how many rows it claimed."""
        started = time.perf_counter()
        rows = outbox.claim(self.conf.relay_batch_size, self.conf.relay_lease_seconds)
        if not rows:
            return 0
        claimed = time.perf_counter()
        messages = [
            Message(
                routing_key=row.type,
                body=row.body.encode(),
                properties=pika.BasicProperties(
                    content_type="application/json",
                    delivery_mode=pika.DeliveryMode.Persistent,
                    message_id=row.event_id,
                    type=row.type,
                    app_id=self.conf.service,
                ),
            )
            for row in rows
        ]
        confirmed = self.publisher.publish(messages, timeout=self.conf.relay_publish_timeout_seconds)
        sent = [row.id for row, ok in zip(rows, confirmed, strict=True) if ok]
        failed = [row.id for row, ok in zip(rows, confirmed, strict=True) if not ok]
        redact = [row.id for row, ok in zip(rows, confirmed, strict=True) if ok and self.is_sensitive(row)]
        published = time.perf_counter()
        outbox.mark_sent(sent, redact)
        logger.debug(
            "relayed %d/%d: claim %.1f ms, publish %.1f ms, mark %.1f ms",
            len(sent),
            len(rows),
            (claimed - started) * 1000,
            (published - claimed) * 1000,
            (time.perf_counter() - published) * 1000,
        )
        if failed:
            logger.warning(
                "%d of %d events not confirmed by the broker; retrying later", len(failed), len(rows)
            )
            outbox.release(
                failed,
                "not confirmed by the broker (nack, timeout or connection lost)",
                base_seconds=self.conf.relay_retry_base_seconds,
                max_seconds=self.conf.relay_retry_max_seconds,
            )
        self.relayed += len(sent)
        return len(rows)

    def idle_seconds(self) -> float:
        """How long to wait for a ``NOTIFY`` when nothing was claimable: until the next row in
        backoff becomes available (those send no notification), at most the poll interval.

        Nothing claimable does not mean nothing pending: rows may be backing off, or held
        back behind an earlier row of their subject that is backing off or in flight."""
        due = outbox.seconds_until_due()
        if due is None:
            return self.conf.relay_poll_seconds
        return min(self.conf.relay_poll_seconds, due + 0.01)

    def is_sensitive(self, row: outbox.Claimed) -> bool:
        """Whether the row's schema is marked ``x-sensitive`` (its payload is blanked once sent)."""
        if row.type not in self._sensitive_types:
            return False  # the common case: no need to parse the body for its version
        try:
            version = json.loads(row.body)["version"]
        except (ValueError, KeyError, TypeError):
            return True  # cannot tell the version: err on the side of forgetting the secret
        return (row.type, version) in self._sensitive

    def housekeeping(self, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        if now - self._last_sweep >= max(self.conf.relay_lease_seconds / 4, 0.5):
            self._last_sweep = now
            swept = outbox.sweep()
            if swept:
                logger.warning(
                    "%d in-flight events outlived their lease; they will be published again", swept
                )
        if now - self._last_prune >= PRUNE_EVERY_SECONDS:
            self._last_prune = now
            pruned = outbox.prune(self.conf.outbox_retention_hours)
            if pruned:
                logger.info("pruned %d sent events older than %sh", pruned, self.conf.outbox_retention_hours)
                self._relayed_at_last_vacuum -= pruned  # deletions leave dead rows too
        churn = self.relayed - self._relayed_at_last_vacuum
        vacuuming = self._vacuum_thread is not None and self._vacuum_thread.is_alive()
        if (
            self._may_vacuum
            and not vacuuming
            and churn >= VACUUM_AFTER_ROWS
            and now - self._last_vacuum >= VACUUM_EVERY_SECONDS
        ):
            self._last_vacuum, self._relayed_at_last_vacuum = now, self.relayed
            self._vacuum_thread = threading.Thread(target=self._vacuum, name="outbox-vacuum", daemon=True)
            self._vacuum_thread.start()

    def _vacuum(self) -> None:
        """In its own thread and connection: VACUUM does not block claims, but takes a while."""
        try:
            outbox.vacuum()
        except DatabaseError as exc:  # e.g. not the table's owner: leave it to autovacuum
            logger.warning("cannot vacuum the outbox (%s); relying on autovacuum", exc)
            self._may_vacuum = False
        finally:
            connections.close_all()

    # --- the process ---------------------------------------------------------------------

    def declare_topology(self, stop: StopFlag) -> None:
        delay = 0.5
        while not stop.is_set():
            try:
                connection = pika.BlockingConnection(
                    connection_parameters(self.conf, "relay-setup", self.broker_url)
                )
                try:
                    declare_exchange(connection.channel(), self.conf)
                finally:
                    connection.close()
                return
            except pika.exceptions.AMQPError as exc:
                logger.warning("cannot declare the exchange yet: %s", exc)
                stop.wait(delay)
                delay = min(delay * 2, 5.0)

    def run(self, stop: StopFlag) -> None:
        """Relay until ``stop`` is set (SIGTERM): the current batch is finished first."""
        self.declare_topology(stop)
        self.publisher.start()
        logger.info("relay started for %s (batch %d)", self.conf.service, self.conf.relay_batch_size)
        db_delay = 0.5
        try:
            while not stop.is_set():
                if not self.publisher.wait_ready(timeout=1.0):
                    continue  # no broker: leave the rows pending, untouched
                try:
                    self.housekeeping()
                    claimed = self.relay_batch()
                    idle = 0.0 if claimed else self.idle_seconds()
                    db_delay = 0.5
                except DatabaseError as exc:
                    logger.warning("database unavailable: %s", exc)
                    close_old_connections()
                    connections[DEFAULT_DB_ALIAS].close()
                    stop.wait(db_delay)
                    db_delay = min(db_delay * 2, 5.0)
                    continue
                if claimed:
                    continue  # more may be waiting, or unblocked by what was just sent
                self.listener.wait(idle, stop)
        finally:
            self.publisher.stop()
            self.listener.close()
            logger.info("relay stopped after relaying %d events", self.relayed)

    def drain(self, timeout: float = 30.0) -> int:
        """Relay until nothing is claimable (tests, one-off runs); returns how many were sent."""
        started = self.relayed
        deadline = time.monotonic() + timeout
        if not self.publisher.is_ready:
            self.publisher.start()
            if not self.publisher.wait_ready(timeout):
                raise TimeoutError("the broker did not accept a connection")
            with StopFlag() as never_set:
                self.declare_topology(never_set)
        while time.monotonic() < deadline and self.relay_batch():
            pass
        return self.relayed - started

    def close(self) -> None:
        self.publisher.stop()
        self.listener.close()
