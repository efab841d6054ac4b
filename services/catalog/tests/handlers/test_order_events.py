"""orders' events, delivered through the real inbox exactly as the consumer does.

(The registry's contract check, that handlers read only what producers publish, is
tests/test_event_contracts.py, where every service keeps it.)"""

import uuid

import pytest

from catalog.inventory.models import StockReservation
from catalog.reviews.models import Purchase
from tests.events import order_cancelled, order_completed, order_paid, order_placed
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db

Status = StockReservation.Status


def counters(product):
    product.refresh_from_db()
    return product.stock_on_hand, product.reserved


def test_a_placed_order_reserves_its_stock_and_the_answer_is_caused_by_it(deliver_event, captured_events):
    mug = ProductFactory(stock_on_hand=5)
    order_id = uuid.uuid4()

    outcome = deliver_event("orders.order.placed", order_placed(order_id, [(mug, 2)]), subject=str(order_id))

    assert outcome.handled == ["catalog.inventory.handlers.reserve_stock_for_placed_order"]
    assert counters(mug) == (5, 2)
    reserved = captured_events.assert_published("catalog.stock.reserved", subject=str(order_id))
    assert reserved.data["lines"] == [{"product_id": str(mug.pk), "quantity": 2}]
    assert reserved.causation_id == outcome.event.id


def test_a_redelivered_placed_event_has_no_second_effect(deliver_event, captured_events):
    mug = ProductFactory(stock_on_hand=5)
    outcome = deliver_event("orders.order.placed", order_placed(uuid.uuid4(), [(mug, 2)]))

    again = deliver_event.again(outcome.event)

    assert again.handled == [] and again.duplicates == outcome.handled
    assert counters(mug) == (5, 2)
    assert captured_events.types == ["catalog.stock.reserved"]


def test_the_same_order_placed_again_under_a_new_event_id_reserves_once(deliver_event, captured_events):
    mug = ProductFactory(stock_on_hand=5)
    payload = order_placed(uuid.uuid4(), [(mug, 2)])

    deliver_event("orders.order.placed", payload)
    deliver_event("orders.order.placed", payload)

    assert counters(mug) == (5, 2)
    assert StockReservation.objects.count() == 1
    first, repeated = captured_events.of_type("catalog.stock.reserved")
    assert first.data == repeated.data  # the recorded outcome, told again


def test_a_placed_order_that_cannot_be_served_is_rejected_with_its_failed_lines(
    deliver_event, captured_events
):
    mug = ProductFactory(stock_on_hand=1)
    order_id = uuid.uuid4()

    deliver_event("orders.order.placed", order_placed(order_id, [(mug, 3)]))

    assert counters(mug) == (1, 0)
    rejected = captured_events.assert_published("catalog.stock.rejected", order_id=str(order_id))
    assert rejected.data["failed_lines"] == [
        {"product_id": str(mug.pk), "requested": 3, "available": 1, "reason": "insufficient_stock"}
    ]


def test_cancelled_releases_paid_commits_and_redeliveries_change_nothing(deliver_event, captured_events):
    mug, plate = ProductFactory(stock_on_hand=5), ProductFactory(stock_on_hand=5)
    user_id = str(uuid.uuid4())
    kept, dropped = uuid.uuid4(), uuid.uuid4()
    deliver_event("orders.order.placed", order_placed(kept, [(mug, 2)], user_id=user_id))
    deliver_event("orders.order.placed", order_placed(dropped, [(plate, 3)], user_id=user_id))

    paid = deliver_event("orders.order.paid", order_paid(kept, user_id, [(mug, 2)]))
    cancelled = deliver_event(
        "orders.order.cancelled", order_cancelled(dropped, user_id, [(plate, 3)], "expired")
    )
    deliver_event.again(paid.event)
    deliver_event.again(cancelled.event)

    assert counters(mug) == (3, 0)
    assert counters(plate) == (5, 0)
    assert StockReservation.objects.get(order_id=kept).status == Status.COMMITTED
    assert StockReservation.objects.get(order_id=dropped).status == Status.RELEASED
    released = captured_events.assert_published("catalog.stock.released", order_id=str(dropped))
    assert released.data == {
        "order_id": str(dropped), "reason": "expired", "lines": [{"product_id": str(plate.pk), "quantity": 3}],
    }  # fmt: skip


def test_a_paid_order_cancelled_puts_its_units_back_on_hand_once(deliver_event, captured_events):
    mug = ProductFactory(stock_on_hand=5)
    user_id, order_id = str(uuid.uuid4()), uuid.uuid4()
    deliver_event("orders.order.placed", order_placed(order_id, [(mug, 2)], user_id=user_id))
    deliver_event("orders.order.paid", order_paid(order_id, user_id, [(mug, 2)]))
    assert counters(mug) == (3, 0)
    payload = order_cancelled(order_id, user_id, [(mug, 2)], "customer")

    cancelled = deliver_event("orders.order.cancelled", payload)
    deliver_event.again(cancelled.event)
    deliver_event("orders.order.cancelled", payload)  # re-sent under a new event id

    assert cancelled.handled == ["catalog.inventory.handlers.release_stock_for_cancelled_order"]
    assert counters(mug) == (5, 0)
    assert StockReservation.objects.get(order_id=order_id).status == Status.RETURNED
    assert captured_events.of_type("catalog.stock.released") == []  # nothing was reserved any more


def test_a_cancellation_handled_before_the_payment_releases_and_the_late_payment_takes_nothing(
    deliver_event,
):
    mug = ProductFactory(stock_on_hand=5)
    user_id, order_id = str(uuid.uuid4()), uuid.uuid4()
    deliver_event("orders.order.placed", order_placed(order_id, [(mug, 2)], user_id=user_id))

    deliver_event("orders.order.cancelled", order_cancelled(order_id, user_id, [(mug, 2)], "customer"))
    deliver_event("orders.order.paid", order_paid(order_id, user_id, [(mug, 2)]))

    assert counters(mug) == (5, 0)
    assert StockReservation.objects.get(order_id=order_id).status == Status.RELEASED


def test_a_payment_without_reservation_is_ignored_but_makes_the_buyer_eligible(deliver_event):
    mug = ProductFactory(stock_on_hand=5)
    user_id = str(uuid.uuid4())

    deliver_event("orders.order.paid", order_paid(uuid.uuid4(), user_id, [(mug, 1)]))

    assert counters(mug) == (5, 0)
    assert Purchase.objects.filter(user_id=user_id, product_id=mug.pk).exists()


def test_completed_orders_make_their_buyer_eligible_to_review_once(deliver_event):
    mug = ProductFactory()
    user_id = str(uuid.uuid4())
    payload = order_completed(uuid.uuid4(), user_id, [(mug, 1)])

    outcome = deliver_event("orders.order.completed", payload)
    deliver_event.again(outcome.event)
    deliver_event("orders.order.completed", payload)  # re-sent under a new event id

    assert Purchase.objects.filter(user_id=user_id, product_id=mug.pk).count() == 1


NIL_UUID = "00000000-0000-0000-0000-000000000000"


@pytest.mark.parametrize(
    ("bad_line", "reported"),
    [
        (
            {"product_id": "not-a-uuid", "quantity": 2},
            {
                "product_id": NIL_UUID,
                "raw_product_id": "not-a-uuid",
                "requested": 2,
                "reason": "invalid_line",
            },
        ),
        (
            {"product_id": 42, "quantity": 1},
            {"product_id": NIL_UUID, "raw_product_id": "42", "requested": 1, "reason": "invalid_line"},
        ),
        (
            {"product_id": "bad\u0000id", "quantity": True},  # NUL: jsonb would refuse it
            {"product_id": NIL_UUID, "raw_product_id": "badid", "requested": 0, "reason": "invalid_line"},
        ),
        (
            {"quantity": 1},
            {"product_id": NIL_UUID, "raw_product_id": "None", "requested": 1, "reason": "invalid_line"},
        ),
        (
            "not an object",
            {
                "product_id": NIL_UUID,
                "raw_product_id": "not an object",
                "requested": 0,
                "reason": "invalid_line",
            },
        ),
    ],
    ids=["text", "number", "nul-and-bool", "missing", "not-an-object"],
)
def test_a_malformed_line_is_rejected_with_an_answer_orders_can_read(
    deliver_event, captured_events, bad_line, reported
):
    """orders' event is not trusted: a malformed line must not make catalog.stock.rejected fail its
    own schema (the handler would retry into the DLQ and the order would wait for ever)."""
    from servicekit.events.schemas import validate_payload

    mug = ProductFactory(stock_on_hand=5)
    order_id = uuid.uuid4()
    payload = order_placed(order_id, [(mug, 1)])
    payload["lines"].append(bad_line)

    deliver_event("orders.order.placed", payload, validate=False)  # as a buggy producer might send it

    assert counters(mug) == (5, 0)
    rejected = captured_events.assert_published("catalog.stock.rejected", order_id=str(order_id))
    validate_payload("catalog.stock.rejected", 1, rejected.data)
    validate_payload("orders.order.rejected", 1, {**rejected.data, "user_id": str(uuid.uuid4())})
    assert rejected.data["reason"] == "invalid_line"
    assert rejected.data["failed_lines"] == [reported]
    assert StockReservation.objects.get(order_id=order_id).status == Status.REJECTED


def test_a_line_with_a_valid_id_but_a_bad_quantity_keeps_its_product_id(deliver_event, captured_events):
    mug = ProductFactory(stock_on_hand=5)
    order_id = uuid.uuid4()
    payload = order_placed(order_id, [(mug, 1)])
    payload["lines"][0]["quantity"] = 0

    deliver_event("orders.order.placed", payload, validate=False)

    rejected = captured_events.assert_published("catalog.stock.rejected", order_id=str(order_id))
    assert rejected.data["failed_lines"] == [
        {"product_id": str(mug.pk), "requested": 0, "reason": "invalid_line"}
    ]


def test_a_placed_order_without_lines_is_rejected(deliver_event, captured_events):
    order_id = uuid.uuid4()
    payload = order_placed(order_id, [])
    payload["lines"] = "not a list"

    deliver_event("orders.order.placed", payload, validate=False)

    rejected = captured_events.assert_published("catalog.stock.rejected", order_id=str(order_id))
    assert (rejected.data["reason"], rejected.data["failed_lines"]) == ("no_lines", [])
