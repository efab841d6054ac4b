"""catalog's stock answers drive the order saga (delivered through the inbox)."""

from __future__ import annotations

import uuid

import pytest

from orders.ordering.models import OrderStatus
from tests.factories import OrderFactory
from tests.stock_events import stock_rejected, stock_reserved

pytestmark = pytest.mark.django_db


def test_stock_reserved_confirms_a_pending_order(deliver_event, captured_events):
    order = OrderFactory(status=OrderStatus.PENDING)

    outcome = deliver_event("catalog.stock.reserved", stock_reserved(order), subject=str(order.id))

    assert outcome.handled == ["orders.ordering.handlers.on_stock_reserved"]
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED
    assert order.payment_due_at is not None
    event = captured_events.assert_published("orders.order.confirmed", order_id=str(order.id))
    assert event.causation_id == outcome.event.id  # the confirmation was caused by catalog's event


def test_stock_rejected_rejects_with_a_visible_reason(deliver_event, captured_events):
    order = OrderFactory(status=OrderStatus.PENDING, lines__name="Red kettle", lines__quantity=3)

    deliver_event("catalog.stock.rejected", stock_rejected(order), subject=str(order.id))

    order.refresh_from_db()
    assert order.status == OrderStatus.REJECTED
    assert order.status_reason == "Insufficient stock: Red kettle (requested 3, available 1)"
    captured_events.assert_published("orders.order.rejected", order_id=str(order.id))


def test_a_redelivered_reservation_has_no_second_effect(deliver_event, captured_events):
    order = OrderFactory(status=OrderStatus.PENDING)
    first = deliver_event("catalog.stock.reserved", stock_reserved(order), subject=str(order.id))

    again = deliver_event.again(first.event)

    assert again.handled == [] and again.duplicates == ["orders.ordering.handlers.on_stock_reserved"]
    assert len(captured_events.of_type("orders.order.confirmed")) == 1


@pytest.mark.parametrize("status", [OrderStatus.CANCELLED, OrderStatus.REJECTED, OrderStatus.PAID])
def test_a_reservation_for_an_order_that_moved_on_is_dropped(deliver_event, captured_events, status):
    order = OrderFactory(status=status)

    outcome = deliver_event("catalog.stock.reserved", stock_reserved(order), subject=str(order.id))

    assert outcome.handled  # handled (and recorded in the inbox), not retried
    order.refresh_from_db()
    assert order.status == status
    captured_events.assert_nothing_published()


def test_a_rejection_for_a_confirmed_order_is_dropped(deliver_event, captured_events):
    order = OrderFactory(status=OrderStatus.CONFIRMED)

    deliver_event("catalog.stock.rejected", stock_rejected(order), subject=str(order.id))

    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED
    captured_events.assert_nothing_published()


def test_an_answer_about_an_unknown_order_is_dropped(deliver_event, captured_events):
    deliver_event("catalog.stock.reserved", {"order_id": str(uuid.uuid4()), "lines": []})

    captured_events.assert_nothing_published()


NIL = "00000000-0000-0000-0000-000000000000"


def test_an_invalid_line_is_shown_by_what_catalog_was_sent(deliver_event, captured_events):
    """catalog reports a line it could not read under the nil UUID, with ``raw_product_id``."""
    order = OrderFactory(status=OrderStatus.PENDING)
    invalid = {"product_id": NIL, "raw_product_id": "not-a-uuid", "requested": 0, "reason": "invalid_line"}

    outcome = deliver_event(
        "catalog.stock.rejected",
        {"order_id": str(order.id), "reason": "invalid_line", "failed_lines": [invalid]},
        subject=str(order.id),
    )

    assert outcome.handled
    order.refresh_from_db()
    assert order.status == OrderStatus.REJECTED
    assert order.status_reason == "Invalid line: not-a-uuid"
    assert order.rejection_details == [invalid]
    published = captured_events.assert_published("orders.order.rejected", order_id=str(order.id))
    assert published.data["failed_lines"] == [invalid]


@pytest.mark.parametrize(
    ("failed_lines", "stored", "message"),
    [
        (
            [
                {
                    "product_id": NIL,
                    "raw_product_id": "x\u0000y" + "z" * 200,
                    "requested": 0,
                    "reason": "invalid_line",
                }
            ],
            [
                {
                    "product_id": NIL,
                    "raw_product_id": "xy" + "z" * 98,
                    "requested": 0,
                    "reason": "invalid_line",
                }
            ],
            "Invalid line: xy" + "z" * 98,
        ),
        (
            ["junk"],
            [{"product_id": NIL, "raw_product_id": "junk", "reason": "invalid_line"}],
            "Invalid line: junk",
        ),
        ([{"requested": 1}], [{"product_id": NIL, "requested": 1}], f"Invalid line: {NIL}"),
        (
            [{"product_id": "zzz", "requested": "many", "available": None, "reason": 5}],
            [{"product_id": NIL, "raw_product_id": "zzz"}],
            "Invalid line: zzz",
        ),
        ("not a list", [], "Invalid line"),
        (None, [], "Invalid line"),
    ],
    ids=["nul-and-long-raw-id", "line-not-an-object", "no-product-id", "wrong-types", "not-a-list", "null"],
)
def test_a_malformed_rejection_still_rejects_the_order(
    deliver_event, captured_events, failed_lines, stored, message
):
    order = OrderFactory(status=OrderStatus.PENDING)

    outcome = deliver_event(
        "catalog.stock.rejected",
        {"order_id": str(order.id), "reason": "invalid_line", "failed_lines": failed_lines},
        subject=str(order.id),
        validate=False,
    )

    assert outcome.handled  # acknowledged, not retried into the dead-letter queue
    order.refresh_from_db()
    assert (order.status, order.status_reason, order.rejection_details) == (
        OrderStatus.REJECTED,
        message,
        stored,
    )
    assert captured_events.assert_published("orders.order.rejected").data["failed_lines"] == stored


def test_a_rejection_reason_that_is_not_text_is_not_shown(deliver_event):
    order = OrderFactory(status=OrderStatus.PENDING)

    deliver_event(
        "catalog.stock.rejected",
        {"order_id": str(order.id), "reason": {"why": "x\u0000"}, "failed_lines": []},
        validate=False,
    )

    order.refresh_from_db()
    assert (order.status, order.status_reason) == (OrderStatus.REJECTED, "Stock could not be reserved")


@pytest.mark.parametrize("event_type", ["catalog.stock.reserved", "catalog.stock.rejected"])
@pytest.mark.parametrize("order_id", ["not-a-uuid", None, 42, {"id": 1}, "missing"])
def test_an_answer_naming_no_order_is_acknowledged_and_dropped(
    deliver_event, captured_events, event_type, order_id
):
    data = {"reason": "insufficient_stock", "failed_lines": [], "lines": []}
    if order_id != "missing":
        data["order_id"] = order_id

    outcome = deliver_event(event_type, data, validate=False)

    assert outcome.handled
    captured_events.assert_nothing_published()
