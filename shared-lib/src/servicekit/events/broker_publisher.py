"""The relay's publisher to the broker: batches with pipelined publisher confirms
(events get into the outbox through :mod:`servicekit.events.outbox_writer`).

pika's ``BlockingChannel`` waits for each confirm in turn (one round trip per message), so
the publisher runs pika's asynchronous ``SelectConnection`` in its own thread: a batch is
written in one go and its confirms are collected as they arrive (the broker acks several
at once with ``multiple``). The thread reconnects by itself with backoff; callers see a
batch either confirmed message by message or, on a timeout or a lost connection, not.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import pika
from pika.spec import Basic

from servicekit.events.conf import EventsConf
from servicekit.events.topology import connection_parameters

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Message:
    routing_key: str
    body: bytes
    properties: pika.BasicProperties
    exchange: str | None = None  # None: the publisher's exchange


class _Batch:
    def __init__(self, size: int) -> None:
        self._lock = threading.Lock()
        self._results: list[bool | None] = [None] * size
        self._remaining = size
        self.done = threading.Event()
        if size == 0:
            self.done.set()

    def resolve(self, index: int, ok: bool) -> None:
        with self._lock:
            if self._results[index] is None:
                self._results[index] = ok
                self._remaining -= 1
                if self._remaining == 0:
                    self.done.set()

    def fail_rest(self) -> None:
        with self._lock:
            self._results = [False if r is None else r for r in self._results]
            self._remaining = 0
            self.done.set()

    def results(self) -> list[bool]:
        with self._lock:
            return [r is True for r in self._results]


class ConfirmingPublisher:
    """A long-lived confirm-mode channel on its own thread. Thread-safe ``publish()``."""

    def __init__(self, conf: EventsConf, *, role: str = "relay", url: str | None = None) -> None:
        self.exchange = conf.exchange
        self._params = connection_parameters(conf, role, url)
        self._role = role
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._ready = threading.Event()
        self._connection: pika.SelectConnection | None = None
        self._channel: Any = None
        self._next_tag = 0
        self._pending: OrderedDict[int, tuple[_Batch, int]] = OrderedDict()  # by delivery tag
        self._reconnect_delay = 0.2
        self.connected_count = 0

    # --- the caller's side -------------------------------------------------------------

    def start(self) -> ConfirmingPublisher:
        if self._thread is None or not self._thread.is_alive():
            self._stopping = False
            self._thread = threading.Thread(target=self._run, name=f"amqp-{self._role}", daemon=True)
            self._thread.start()
        return self

    def wait_ready(self, timeout: float) -> bool:
        return self._ready.wait(timeout)

    @property
    def is_ready(self) -> bool:
        return self._ready.is_set()

    def publish(self, messages: Sequence[Message], timeout: float) -> list[bool]:
        """Publish ``messages`` in order; returns, per message, whether the broker confirmed it
        within ``timeout`` seconds. Unconfirmed messages may or may not have been routed."""
        batch = _Batch(len(messages))
        connection = self._connection
        if not messages:
            return []
        if connection is None or not self._ready.is_set():
            return [False] * len(messages)
        try:
            connection.ioloop.add_callback_threadsafe(partial(self._publish_batch, batch, messages))
        except Exception:  # the loop is gone: the connection just dropped
            return [False] * len(messages)
        batch.done.wait(timeout)
        return batch.results()

    def stop(self) -> None:
        self._stopping = True
        connection = self._connection
        if connection is not None:
            with contextlib.suppress(Exception):
                connection.ioloop.add_callback_threadsafe(self._close)
        if self._thread is not None and self._thread.is_alive():
            self._thread.join(timeout=10)

    # --- the I/O thread ----------------------------------------------------------------

    def _run(self) -> None:
        while not self._stopping:
            connection = pika.SelectConnection(
                self._params,
                on_open_callback=self._on_open,
                on_open_error_callback=self._on_open_error,
                on_close_callback=self._on_closed,
            )
            self._connection = connection
            try:
                connection.ioloop.start()
            except Exception:
                logger.exception("publisher I/O loop crashed")
            self._ready.clear()
            self._fail_pending()
            if not self._stopping:
                time.sleep(self._reconnect_delay)
                self._reconnect_delay = min(self._reconnect_delay * 2, 5.0)
        self._connection = None

    def _on_open(self, connection: pika.SelectConnection) -> None:
        connection.channel(on_open_callback=self._on_channel_open)

    def _on_open_error(self, connection: pika.SelectConnection, error: Exception) -> None:
        logger.warning("cannot connect to the broker: %s", error)
        connection.ioloop.stop()

    def _on_closed(self, connection: pika.SelectConnection, reason: Exception) -> None:
        if not self._stopping:
            logger.warning("broker connection closed: %s", reason)
        self._ready.clear()
        self._channel = None
        self._fail_pending()
        connection.ioloop.stop()

    def _on_channel_open(self, channel: Any) -> None:
        channel.add_on_close_callback(self._on_channel_closed)
        channel.confirm_delivery(
            ack_nack_callback=self._on_confirm, callback=partial(self._on_confirm_mode, channel)
        )

    def _on_confirm_mode(self, channel: Any, _frame: Any) -> None:
        self._channel = channel
        self._next_tag = 0
        self._reconnect_delay = 0.2
        self.connected_count += 1
        self._ready.set()
        logger.info("publishing to %s with publisher confirms", self.exchange)

    def _on_channel_closed(self, channel: Any, reason: Exception) -> None:
        self._ready.clear()
        self._channel = None
        self._fail_pending()
        if not self._stopping:
            logger.warning("publisher channel closed: %s; reconnecting", reason)
        connection = self._connection
        if connection is not None and connection.is_open:
            connection.close()

    def _publish_batch(self, batch: _Batch, messages: Sequence[Message]) -> None:
        channel = self._channel
        if channel is None or not channel.is_open:
            batch.fail_rest()
            return
        try:
            for index, message in enumerate(messages):
                exchange = self.exchange if message.exchange is None else message.exchange
                channel.basic_publish(exchange, message.routing_key, message.body, message.properties)
                self._next_tag += 1
                self._pending[self._next_tag] = (batch, index)
        except Exception as exc:
            logger.warning("publish failed: %s", exc)
            batch.fail_rest()

    def _on_confirm(self, frame: Any) -> None:
        method = frame.method
        ok = isinstance(method, Basic.Ack)
        if not method.multiple:
            entry = self._pending.pop(method.delivery_tag, None)
            if entry is not None:
                entry[0].resolve(entry[1], ok)
            return
        while self._pending and next(iter(self._pending)) <= method.delivery_tag:
            _, (batch, index) = self._pending.popitem(last=False)
            batch.resolve(index, ok)

    def _fail_pending(self) -> None:
        pending, self._pending = self._pending, OrderedDict()
        for batch, _ in pending.values():
            batch.fail_rest()

    def _close(self) -> None:
        connection = self._connection
        if connection is not None and (connection.is_open or connection.is_opening):
            connection.close()
        elif connection is not None:
            connection.ioloop.stop()
