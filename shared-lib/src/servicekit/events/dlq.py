"""The dead-letter queue, for operators: list, show, replay, purge (``manage.py events_dlq``).

AMQP has no browsing, so each operation takes the messages with ``basic.get``, acts on the
ones it wants (replay: re-publish with confirms, then acknowledge; purge: acknowledge) and
closes the channel, which returns every untouched message to the queue.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import pika

from servicekit.events.conf import EventsConf
from servicekit.events.consumer import (
    ATTEMPTS_HEADER,
    ERROR_HEADER,
    FAILED_AT_HEADER,
    ORIGIN_HEADER,
    REASON_HEADER,
    _own_headers,
    parse_attempts,
)
from servicekit.events.envelope import Event, MalformedEvent
from servicekit.events.topology import connection_parameters, dead_letter_queue_arguments

# How long an empty or short read waits for letters another connection has just handed back.
SETTLE_SECONDS = 1.0


@dataclass
class DeadLetter:
    delivery_tag: int
    properties: pika.BasicProperties
    body: bytes

    @property
    def headers(self) -> dict[str, Any]:
        return self.properties.headers or {}

    @cached_property
    def event(self) -> Event | None:
        """The envelope, or None for a letter that is not one (dead-lettered as malformed)."""
        try:
            return Event.from_json(self.body)
        except MalformedEvent:
            return None

    @property
    def event_id(self) -> str:
        event = self.event
        return event.id if event else (self.properties.message_id or "?")

    @property
    def reason(self) -> str:
        if REASON_HEADER in self.headers:
            return str(self.headers[REASON_HEADER])
        return str(_first_death(self.headers).get("reason", "?"))

    @property
    def error(self) -> str:
        return str(self.headers.get(ERROR_HEADER, ""))

    @property
    def attempts(self) -> int:
        try:
            return parse_attempts(self.headers.get(ATTEMPTS_HEADER, 0) or 0)
        except MalformedEvent:
            return 0

    @property
    def failed_at(self) -> str:
        return str(self.headers.get(FAILED_AT_HEADER, ""))

    def origin_queue(self, default: str) -> str:
        if ORIGIN_HEADER in self.headers:
            return str(self.headers[ORIGIN_HEADER])
        return str(_first_death(self.headers).get("queue", default))

    def summary(self) -> str:
        event = self.event
        kind = f"{event.type} v{event.version}" if event else "(malformed)"
        last_line = self.error.strip().splitlines()[-1] if self.error.strip() else ""
        return f"{self.event_id}  {kind}  reason={self.reason} attempts={self.attempts}  {last_line[:120]}"


def _first_death(headers: dict[str, Any]) -> dict[str, Any]:
    deaths = headers.get("x-death")
    if isinstance(deaths, list) and deaths and isinstance(deaths[0], dict):
        return deaths[0]
    return {}


class DeadLetterQueue:
    def __init__(self, conf: EventsConf, *, broker_url: str | None = None) -> None:
        self.conf = conf
        self.broker_url = broker_url or conf.broker_url

    @contextmanager
    def _session(self) -> Iterator[tuple[Any, Any, list[DeadLetter]]]:
        connection = pika.BlockingConnection(connection_parameters(self.conf, "dlq-tool", self.broker_url))
        try:
            channel = connection.channel()
            declared = channel.queue_declare(
                self.conf.dead_letter_queue, durable=True, arguments=dead_letter_queue_arguments(self.conf)
            )
            messages = self._take_all(channel, declared.method.message_count)
            publish_channel = connection.channel()
            publish_channel.confirm_delivery()
            yield channel, publish_channel, messages
        finally:
            if connection.is_open:
                connection.close()  # whatever was not acknowledged returns to the queue

    def _take_all(self, channel: Any, expected: int) -> list[DeadLetter]:
        """Hold every dead letter unacknowledged for the length of the session.

        Letters that an earlier session (or a crashed consumer) just handed back reappear on a
        quorum queue a moment after its connection closed, so an empty or short first read is
        retried briefly instead of trusting the declared count alone.
        """
        messages: list[DeadLetter] = []
        deadline = time.monotonic() + SETTLE_SECONDS
        while True:
            method, properties, body = channel.basic_get(self.conf.dead_letter_queue, auto_ack=False)
            if method is not None:
                messages.append(DeadLetter(method.delivery_tag, properties, body))
                continue
            settled = bool(messages) and len(messages) >= expected
            if settled or time.monotonic() >= deadline:
                return messages
            time.sleep(0.05)

    def messages(self) -> list[DeadLetter]:
        with self._session() as (_, _, messages):
            return messages

    def replay(self, event_ids: Iterable[str] | None) -> list[DeadLetter]:
        """Send the chosen (None: all) dead letters back to their queue, with fresh attempts."""
        wanted = None if event_ids is None else set(event_ids)
        replayed = []
        with self._session() as (channel, publish_channel, messages):
            for message in messages:
                if wanted is not None and message.event_id not in wanted:
                    continue
                headers = {
                    key: value
                    for key, value in _own_headers(message.headers).items()
                    if key
                    not in {ATTEMPTS_HEADER, ERROR_HEADER, REASON_HEADER, FAILED_AT_HEADER, ORIGIN_HEADER}
                }
                properties = pika.BasicProperties(
                    content_type=message.properties.content_type,
                    delivery_mode=pika.DeliveryMode.Persistent,
                    message_id=message.properties.message_id,
                    type=message.properties.type,
                    app_id=message.properties.app_id,
                    headers=headers,
                )
                publish_channel.basic_publish(  # mandatory: fails if that queue is gone, keeping the letter
                    "", message.origin_queue(self.conf.queue), message.body, properties, mandatory=True
                )
                channel.basic_ack(message.delivery_tag)
                replayed.append(message)
        return replayed

    def purge(self, event_ids: Iterable[str] | None) -> list[DeadLetter]:
        """Delete the chosen (None: all) dead letters for good."""
        wanted = None if event_ids is None else set(event_ids)
        purged = []
        with self._session() as (channel, _, messages):
            for message in messages:
                if wanted is None or message.event_id in wanted:
                    channel.basic_ack(message.delivery_tag)
                    purged.append(message)
        return purged
