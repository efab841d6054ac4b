from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from orders.payments.providers.card_numbers import TestCardProvider
from servicekit.events.envelope import format_timestamp


@pytest.fixture
def user_id() -> uuid.UUID:
    return uuid.uuid4()


@pytest.fixture
def customer(client_for):
    """An API client authenticated as a customer (``.user_id`` is its UUID string)."""
    return client_for(roles=("customer",))


@pytest.fixture
def other_customer(client_for):
    return client_for(roles=("customer",))


@pytest.fixture
def staff(client_for):
    return client_for(roles=("staff",))


@pytest.fixture
def deliver_at(deliver_event) -> Callable[..., Any]:
    """``deliver_event`` with a chosen ``occurred_at`` (and optionally a fixed event id)."""
    from servicekit.events.envelope import Event
    from servicekit.events.schemas import validate_payload

    def _deliver(
        type_: str, data: dict[str, Any], *, occurred_at: datetime | None = None, event_id: str | None = None
    ):
        validate_payload(type_, 1, data)
        event = Event.new(type_, "subject-1", data, producer="catalog", correlation_id="test")
        event = dataclasses.replace(
            event,
            id=event_id or event.id,
            occurred_at=format_timestamp(occurred_at or datetime.now(UTC)),
        )
        return deliver_event.again(event)

    return _deliver


@pytest.fixture
def refund_requests(monkeypatch) -> list[dict[str, Any]]:
    """What the test card provider is asked to refund from now on (each call still goes through)."""
    calls: list[dict[str, Any]] = []
    original = TestCardProvider.refund

    def counting(self, **kwargs):
        calls.append(kwargs)
        return original(self, **kwargs)

    monkeypatch.setattr(TestCardProvider, "refund", counting)
    return calls
