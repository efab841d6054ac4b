"""``publish()``: write an event into the outbox, in the caller's transaction.

The row and the state change commit or roll back together; a relay sends committed rows to
the broker (:mod:`servicekit.events.relay`, :mod:`servicekit.events.broker_publisher`). The insert also issues ``NOTIFY``, which
Postgres delivers only when the transaction commits, so the relay wakes at once.
"""

from __future__ import annotations

import contextvars
import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any
from uuid import UUID

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DEFAULT_DB_ALIAS, connections, transaction

from servicekit.events.envelope import Event
from servicekit.events.schemas import InvalidEventPayload, UnknownEventType, validate_payload
from servicekit.events.tables import OUTBOX_TABLE
from servicekit.observability.context import get_request_id, new_request_id

# The event whose handler is running: events published meanwhile are caused by it.
_current_event: contextvars.ContextVar[Event | None] = contextvars.ContextVar("current_event", default=None)


class PublishOutsideTransaction(RuntimeError):
    """publish() needs the transaction of the change it records."""


@contextmanager
def handling(event: Event) -> Iterator[None]:
    """Mark ``event`` as the cause of whatever is published inside the block."""
    token = _current_event.set(event)
    try:
        yield
    finally:
        _current_event.reset(token)


def current_event() -> Event | None:
    return _current_event.get()


def notify_channel(using: str = DEFAULT_DB_ALIAS) -> str:
    """The LISTEN/NOTIFY channel of this service's outbox (one database serves all schemas)."""
    schema = connections[using].settings_dict.get("SCHEMA") or "public"
    return f"event_outbox_{schema}"[:63]


def publish(
    type: str,
    subject: str | UUID | int,
    data: Mapping[str, Any],
    version: int = 1,
    *,
    using: str = DEFAULT_DB_ALIAS,
) -> Event:
    """Record event ``type`` about aggregate ``subject`` in the outbox; returns the envelope.

    Raises :class:`PublishOutsideTransaction` outside ``transaction.atomic``; an unknown type or
    a payload that does not match ``contracts/events/<type>.v<version>.json`` raises and marks
    the transaction for rollback, so the change it describes cannot commit without its event.
    """
    connection = transaction.get_connection(using)
    if not connection.in_atomic_block:
        raise PublishOutsideTransaction(
            f"publish({type!r}) must run inside transaction.atomic(), with the change it records"
        )
    subject = str(subject)
    try:
        if not subject:
            raise InvalidEventPayload(type, version, ["subject: an event is about an aggregate, give its id"])
        payload = _json_form(type, version, data)
        validate_payload(type, version, payload)
    except (InvalidEventPayload, UnknownEventType, TypeError):
        transaction.set_rollback(True, using=using)
        raise
    cause = _current_event.get()
    event = Event.new(
        type,
        subject,
        payload,
        version=version,
        producer=settings.SERVICE_NAME,
        correlation_id=get_request_id() or (cause.correlation_id if cause else None) or new_request_id(),
        causation_id=cause.id if cause else None,
    )
    _insert(event, connection)
    return event


def _json_form(type: str, version: int, data: Mapping[str, Any]) -> Any:
    """What consumers will see, to validate: UUIDs, decimals and dates become strings.

    Standard JSON only: NaN and infinities (which ``json`` would write as bare ``NaN`` and
    ``Infinity``, and other parsers refuse), circular references and nesting too deep to
    encode are invalid payloads. A type that cannot be encoded at all raises ``TypeError``."""
    try:
        return json.loads(json.dumps(dict(data), cls=DjangoJSONEncoder, allow_nan=False))
    except RecursionError:
        raise InvalidEventPayload(type, version, ["(root): nested too deeply"]) from None
    except ValueError as exc:  # "Out of range float values…", "Circular reference detected"
        raise InvalidEventPayload(type, version, [f"(root): not standard JSON: {exc}"]) from exc


def _insert(event: Event, connection: Any) -> None:
    table = connection.ops.quote_name(OUTBOX_TABLE)
    with connection.cursor() as cursor:
        # One round trip: the row, and the wake-up Postgres sends at commit (deduplicated per
        # transaction, dropped on rollback).
        cursor.execute(
            f"INSERT INTO {table} (event_id, type, subject, body) "
            "SELECT %s, %s, %s, %s FROM (SELECT pg_notify(%s, '')) AS wake",
            [event.id, event.type, event.subject, event.to_json(), notify_channel(connection.alias)],
        )
