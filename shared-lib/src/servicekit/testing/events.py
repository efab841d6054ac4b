"""Event fixtures for every service's tests (registered by the servicekit pytest plugin).

``captured_events``
    What the code under test published (its outbox rows since the test started, so events
    of a rolled-back transaction are not there)::

        order_place(...)
        event = captured_events.assert_published("orders.order.placed", order_id=str(order.id))
        assert captured_events.types == ["orders.order.placed"]

``deliver_event``
    Hand an event to the service's registered handlers, through the inbox, as the consumer
    would; the payload is validated against the producer's schema first, and a handler's
    exception propagates::

        outcome = deliver_event("orders.order.placed", {"order_id": ..., ...}, subject=order_id)
        assert outcome.handled == ["catalog.inventory.handlers.reserve_stock_for_placed_order"]
        assert deliver_event.again(outcome.event).duplicates  # redelivery: no second effect
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

__all__ = ["CapturedEvents", "EventDeliverer", "captured_events", "deliver_event"]


class CapturedEvents:
    def __init__(self, using: str = "default") -> None:
        from django.db import connections

        self._connection = connections[using]
        self._since = self._max_id()

    def _max_id(self) -> int:
        from servicekit.events.tables import OUTBOX_TABLE

        with self._connection.cursor() as cursor:
            cursor.execute(f"SELECT coalesce(max(id), 0) FROM {OUTBOX_TABLE}")
            return cursor.fetchone()[0]

    @property
    def events(self) -> list[Any]:
        from servicekit.events.envelope import Event
        from servicekit.events.tables import OUTBOX_TABLE

        with self._connection.cursor() as cursor:
            cursor.execute(f"SELECT body FROM {OUTBOX_TABLE} WHERE id > %s ORDER BY id", [self._since])
            return [Event.from_json(body) for (body,) in cursor.fetchall()]

    @property
    def types(self) -> list[str]:
        return [event.type for event in self.events]

    def of_type(self, type_: str) -> list[Any]:
        return [event for event in self.events if event.type == type_]

    def __iter__(self) -> Iterator[Any]:
        return iter(self.events)

    def __len__(self) -> int:
        return len(self.events)

    def __getitem__(self, index: int) -> Any:
        return self.events[index]

    def assert_published(self, type_: str, *, subject: str | None = None, **data: Any) -> Any:
        """The one event of ``type_`` (and ``subject``) whose data contains ``data``."""
        matching = [
            event
            for event in self.of_type(type_)
            if (subject is None or event.subject == str(subject))
            and all(event.data.get(key) == value for key, value in data.items())
        ]
        assert len(matching) == 1, (
            f"expected one {type_} event matching {data or ''} {f'subject={subject}' if subject else ''}, "
            f"found {len(matching)}; published: {[(e.type, e.subject, e.data) for e in self.events]}"
        )
        return matching[0]

    def assert_nothing_published(self) -> None:
        assert not self.events, f"expected no events, found {self.types}"


class EventDeliverer:
    def __init__(self, registry: Any = None) -> None:
        self._registry = registry

    @property
    def registry(self) -> Any:
        if self._registry is None:
            from servicekit.events.registry import load_registry

            self._registry = load_registry()
        return self._registry

    def __call__(
        self,
        type_: str,
        data: dict[str, Any],
        *,
        subject: str = "subject-1",
        version: int = 1,
        producer: str = "test",
        correlation_id: str | None = "test-correlation",
        validate: bool = True,
    ) -> Any:
        from servicekit.events.envelope import Event
        from servicekit.events.schemas import validate_payload

        if validate:
            validate_payload(type_, version, data)
        event = Event.new(
            type_, subject, data, version=version, producer=producer, correlation_id=correlation_id
        )
        return self.again(event)

    def again(self, event: Any) -> Any:
        """Deliver an already-built event (a redelivery, when it was delivered before)."""
        from servicekit.events.inbox import deliver

        return deliver(event, self.registry)


@pytest.fixture
def captured_events(db: None) -> CapturedEvents:
    return CapturedEvents()


@pytest.fixture
def deliver_event(db: None) -> EventDeliverer:
    return EventDeliverer()
