"""A pending order catalog never answers is cancelled (stock_timeout) by the expiry sweep; a
stock answer arriving after that is dropped without an error (no retry, no dead letter)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from functools import partial

import pytest
from django.utils import timezone

from orders.ordering.models import Order, OrderStatus
from orders.ordering.services import orders_expire_pending
from tests.factories import OrderFactory
from tests.stock_events import stock_rejected, stock_reserved

pytestmark = pytest.mark.django_db

S = OrderStatus
MESSAGE = (
    "Cancelled: the stock could not be confirmed in time. Nothing was charged; you can place the order again."
)


@pytest.fixture
def timeout(settings) -> int:
    settings.ORDERS = {**settings.ORDERS, "PENDING_TIMEOUT_SECONDS": 600}
    return 600


def _placed_ago(seconds: float, status: OrderStatus = S.PENDING, **kwargs) -> Order:
    return OrderFactory(status=status, placed_at=timezone.now() - timedelta(seconds=seconds), **kwargs)


def test_a_pending_order_past_the_timeout_is_cancelled_with_a_visible_reason(timeout, captured_events):
    stuck = _placed_ago(timeout + 1, lines=2)

    assert orders_expire_pending() == 1

    stuck.refresh_from_db()
    assert (stuck.status, stuck.cancellation_reason) == (S.CANCELLED, "stock_timeout")
    assert stuck.status_reason == MESSAGE
    assert stuck.cancelled_at is not None
    change = stuck.status_changes.get()
    assert (change.from_status, change.to_status, change.actor, change.reason) == (
        S.PENDING,
        S.CANCELLED,
        "system",
        "stock_timeout",
    )
    # catalog releases whatever it reserved (or will reserve late) for this order
    data = captured_events.assert_published("orders.order.cancelled", subject=str(stuck.id)).data
    assert (data["order_id"], data["reason"], data["previous_status"]) == (
        str(stuck.id),
        "stock_timeout",
        "pending",
    )
    assert data["lines"] == [
        {"product_id": str(line.product_id), "quantity": line.quantity} for line in stuck.lines.all()
    ]
    assert captured_events.types == ["orders.order.cancelled"]


def test_orders_within_the_timeout_or_answered_are_left_alone(timeout, captured_events):
    recent = _placed_ago(timeout - 30)
    answered = [_placed_ago(timeout * 10, status=status) for status in (S.CONFIRMED, S.REJECTED, S.PAID)]

    assert orders_expire_pending() == 0

    recent.refresh_from_db()
    assert recent.status == S.PENDING
    for order in answered:
        before = order.status
        order.refresh_from_db()
        assert order.status == before
    captured_events.assert_nothing_published()


def test_the_timeout_comes_from_the_settings(settings, captured_events):
    settings.ORDERS = {**settings.ORDERS, "PENDING_TIMEOUT_SECONDS": 60}
    old = _placed_ago(61)
    young = _placed_ago(50)

    assert orders_expire_pending() == 1

    assert Order.objects.get(id=old.id).status == S.CANCELLED
    assert Order.objects.get(id=young.id).status == S.PENDING


def test_a_timeout_of_zero_turns_the_sweep_off(settings, captured_events):
    settings.ORDERS = {**settings.ORDERS, "PENDING_TIMEOUT_SECONDS": 0}
    order = _placed_ago(86_400)

    assert orders_expire_pending() == 0

    assert Order.objects.get(id=order.id).status == S.PENDING
    captured_events.assert_nothing_published()


def test_the_sweep_works_in_batches_oldest_first(timeout, captured_events):
    orders = [_placed_ago(timeout + 100 - i) for i in range(3)]

    assert orders_expire_pending(batch_size=2) == 2
    assert [Order.objects.get(id=o.id).status for o in orders] == [S.CANCELLED, S.CANCELLED, S.PENDING]
    assert orders_expire_pending(batch_size=2) == 1


def test_the_beat_task_expires_unpaid_and_stuck_pending_orders(timeout, captured_events):
    from orders.ordering.tasks import expire_unpaid_orders_task

    unpaid = OrderFactory(status=S.CONFIRMED, payment_due_at=timezone.now() - timedelta(seconds=1))
    stuck = _placed_ago(timeout + 1)

    assert expire_unpaid_orders_task.apply().get() == 2

    assert {
        (e.data["order_id"], e.data["reason"]) for e in captured_events.of_type("orders.order.cancelled")
    } == {(str(unpaid.id), "expired"), (str(stuck.id), "stock_timeout")}


# -- catalog answering after the timeout -------------------------------------------------------


@pytest.mark.parametrize(
    ("event_type", "payload", "handler"),
    [
        ("catalog.stock.reserved", stock_reserved, "orders.ordering.handlers.on_stock_reserved"),
        (
            "catalog.stock.rejected",
            partial(stock_rejected, available=0),
            "orders.ordering.handlers.on_stock_rejected",
        ),
    ],
)
def test_a_late_stock_answer_for_a_timed_out_order_is_a_no_op(
    timeout, deliver_event, captured_events, event_type, payload, handler
):
    order = _placed_ago(timeout + 1)
    orders_expire_pending()
    order.refresh_from_db()
    before = Order.objects.values().get(id=order.id)
    published_before = len(captured_events)

    # deliver_event propagates a handler's exception: returning normally is what keeps the
    # consumer from retrying and dead-lettering the event.
    outcome = deliver_event(event_type, payload(order), subject=str(order.id))

    assert outcome.handled == [handler]  # recorded in the inbox as handled
    assert Order.objects.values().get(id=order.id) == before
    assert order.status_changes.count() == 1  # only pending → cancelled
    assert len(captured_events) == published_before  # no confirmed / rejected / second cancelled
    assert deliver_event.again(outcome.event).duplicates == [handler]


def test_an_answer_before_the_sweep_wins_and_the_sweep_skips_the_order(
    timeout, deliver_event, captured_events
):
    order = _placed_ago(timeout + 1)
    deliver_event("catalog.stock.reserved", stock_reserved(order), subject=str(order.id))

    assert orders_expire_pending() == 0

    order.refresh_from_db()
    assert order.status == S.CONFIRMED
    assert captured_events.types == ["orders.order.confirmed"]


def test_the_customer_sees_why_the_order_was_cancelled(timeout, customer):
    order = _placed_ago(timeout + 1, user_id=uuid.UUID(customer.user_id))
    orders_expire_pending()

    data = customer.get(f"/api/v1/orders/{order.id}/").json()["data"]

    assert (data["status"], data["cancellation_reason"], data["status_reason"]) == (
        "cancelled",
        "stock_timeout",
        MESSAGE,
    )
    assert data["history"][-1]["reason"] == "stock_timeout"
