"""catalog's stock answers drive the order saga (delivered through the inbox)."""

from __future__ import annotations

import uuid

import pytest

from orders.ordering.models import OrderStatus
from tests.factories import OrderFactory

pytestmark = pytest.mark.django_db


def _reserved(order):
    return {
        "order_id": str(order.id),
        "lines": [
            {"product_id": str(line.product_id), "quantity": line.quantity} for line in order.lines.all()
        ],
    }


def _rejected(order, **overrides):
    line = order.lines.get()
    return {
        "order_id": str(order.id),
        "reason": "insufficient_stock",
        "failed_lines": [
            {
                "product_id": str(line.product_id),
                "requested": line.quantity,
                "available": 1,
                "reason": "insufficient_stock",
            }
        ],
        **overrides,
    }


def test_stock_reserved_confirms_a_pending_order(deliver_event, captured_events):
    order = OrderFactory(status=OrderStatus.PENDING)

    outcome = deliver_event("catalog.stock.reserved", _reserved(order), subject=str(order.id))

    assert outcome.handled == ["orders.ordering.handlers.on_stock_reserved"]
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED
    assert order.payment_due_at is not None
    event = captured_events.assert_published("orders.order.confirmed", order_id=str(order.id))
    assert event.causation_id == outcome.event.id  # the confirmation was caused by catalog's event


def test_stock_rejected_rejects_with_a_visible_reason(deliver_event, captured_events):
    order = OrderFactory(status=OrderStatus.PENDING, lines__name="Red kettle", lines__quantity=3)

    deliver_event("catalog.stock.rejected", _rejected(order), subject=str(order.id))

    order.refresh_from_db()
    assert order.status == OrderStatus.REJECTED
    assert order.status_reason == "Insufficient stock: Red kettle (requested 3, available 1)"
    captured_events.assert_published("orders.order.rejected", order_id=str(order.id))


def test_a_redelivered_reservation_has_no_second_effect(deliver_event, captured_events):
    order = OrderFactory(status=OrderStatus.PENDING)
    first = deliver_event("catalog.stock.reserved", _reserved(order), subject=str(order.id))

    again = deliver_event.again(first.event)

    assert again.handled == [] and again.duplicates == ["orders.ordering.handlers.on_stock_reserved"]
    assert len(captured_events.of_type("orders.order.confirmed")) == 1


@pytest.mark.parametrize("status", [OrderStatus.CANCELLED, OrderStatus.REJECTED, OrderStatus.PAID])
def test_a_reservation_for_an_order_that_moved_on_is_dropped(deliver_event, captured_events, status):
    order = OrderFactory(status=status)

    outcome = deliver_event("catalog.stock.reserved", _reserved(order), subject=str(order.id))

    assert outcome.handled  # handled (and recorded in the inbox), not retried
    order.refresh_from_db()
    assert order.status == status
    captured_events.assert_nothing_published()


def test_a_rejection_for_a_confirmed_order_is_dropped(deliver_event, captured_events):
    order = OrderFactory(status=OrderStatus.CONFIRMED)

    deliver_event("catalog.stock.rejected", _rejected(order), subject=str(order.id))

    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED
    captured_events.assert_nothing_published()


def test_an_answer_about_an_unknown_order_is_dropped(deliver_event, captured_events):
    deliver_event("catalog.stock.reserved", {"order_id": str(uuid.uuid4()), "lines": []})

    captured_events.assert_nothing_published()
