"""Stored events filtered by type, producer, subject and time; newest first."""

import uuid
from datetime import timedelta

import pytest

from analytics.events.selectors import events_list
from tests import events
from tests.conftest import utc

AT = utc(2031, 12, 1, 9)
ORDER = uuid.uuid4()


@pytest.fixture
def stored(ingest):
    user = uuid.uuid4()
    placed = events.placed(user, ORDER, at=AT)
    paid = events.paid(user, ORDER, at=AT + timedelta(hours=1))
    signup = events.registered(user, at=AT + timedelta(hours=2))
    ingest([placed, paid, signup])
    return {"placed": placed.id, "paid": paid.id, "signup": signup.id}


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, ["signup", "paid", "placed"]),
        ({"type": "orders.order.paid"}, ["paid"]),
        ({"producer": "orders"}, ["paid", "placed"]),
        ({"subject": str(ORDER)}, ["paid", "placed"]),
        ({"since": AT + timedelta(hours=1)}, ["signup", "paid"]),
        ({"until": AT + timedelta(hours=1)}, ["placed"]),
    ],
)
def test_filters(stored, filters, expected):
    assert [str(event.event_id) for event in events_list(**filters)] == [stored[name] for name in expected]
