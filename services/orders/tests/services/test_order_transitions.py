"""The order state machine: every legal transition works and announces itself; every
illegal one is a Conflict that changes nothing and publishes nothing."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from orders.ordering.models import (
    ALLOWED_TRANSITIONS,
    CancellationReason,
    Order,
    OrderStatus,
    OrderStatusChange,
)
from orders.ordering.services import (
    order_cancel,
    order_complete,
    order_confirm,
    order_mark_paid,
    order_reject,
    order_ship,
    orders_expire_unpaid,
)
from orders.payments.models import PaymentStatus
from servicekit.envelope.errors import Conflict
from tests.factories import OrderFactory, OrderLineFactory, PaymentFactory

pytestmark = pytest.mark.django_db

S = OrderStatus
# Spelled out on purpose: changing the state machine must change this test too.
EXPECTED_LEGAL = {
    (S.PENDING, S.CONFIRMED),
    (S.PENDING, S.REJECTED),
    (S.PENDING, S.CANCELLED),
    (S.CONFIRMED, S.PAID),
    (S.CONFIRMED, S.CANCELLED),
    (S.PAID, S.SHIPPED),
    (S.PAID, S.CANCELLED),
    (S.SHIPPED, S.COMPLETED),
}
TARGETS = [S.CONFIRMED, S.REJECTED, S.PAID, S.SHIPPED, S.COMPLETED, S.CANCELLED]
LEGAL = sorted((source, target) for source in S for target in ALLOWED_TRANSITIONS[source])
ILLEGAL = sorted(
    (source, target) for source in S for target in TARGETS if (source, target) not in EXPECTED_LEGAL
)

EVENT_OF = {
    S.CONFIRMED: "orders.order.confirmed",
    S.REJECTED: "orders.order.rejected",
    S.PAID: "orders.order.paid",
    S.SHIPPED: "orders.order.shipped",
    S.COMPLETED: "orders.order.completed",
    S.CANCELLED: "orders.order.cancelled",
}


def _mark_paid(order: Order) -> None:
    with transaction.atomic():
        order_mark_paid(order=Order.objects.select_for_update().get(id=order.id), payment_id=uuid.uuid4())


ACTIONS = {
    S.CONFIRMED: lambda order: order_confirm(order_id=order.id),
    S.REJECTED: lambda order: order_reject(order_id=order.id, reason="insufficient_stock", failed_lines=[]),
    S.PAID: _mark_paid,
    S.SHIPPED: lambda order: order_ship(order_id=order.id, actor_id=uuid.uuid4(), carrier="DHL"),
    S.COMPLETED: lambda order: order_complete(order_id=order.id, actor_id=uuid.uuid4()),
    S.CANCELLED: lambda order: order_cancel(
        order_id=order.id,
        reason=CancellationReason.CUSTOMER,
        actor=OrderStatusChange.Actor.CUSTOMER,
        actor_id=order.user_id,
    ),
}


def _order_in(status: OrderStatus) -> Order:
    order = OrderFactory(status=status)
    if status == S.PAID:
        PaymentFactory(order=order, status=PaymentStatus.SUCCEEDED)
    return order


def test_the_table_is_the_expected_one():
    assert set(LEGAL) == EXPECTED_LEGAL
    assert len(LEGAL) + len(ILLEGAL) == len(S) * len(TARGETS)


@pytest.mark.parametrize(("source", "target"), LEGAL, ids=[f"{s}->{t}" for s, t in LEGAL])
def test_legal_transition(source, target, captured_events):
    order = _order_in(source)

    ACTIONS[target](order)

    order.refresh_from_db()
    assert order.status == target
    change = order.status_changes.get()
    assert (change.from_status, change.to_status) == (source, target)
    event = captured_events.assert_published(EVENT_OF[target])
    assert event.subject == str(order.id)
    assert event.data["order_id"] == str(order.id)
    assert captured_events.types == [EVENT_OF[target]]


@pytest.mark.parametrize(("source", "target"), ILLEGAL, ids=[f"{s}->{t}" for s, t in ILLEGAL])
def test_illegal_transition_is_a_conflict_and_changes_nothing(source, target, captured_events):
    order = _order_in(source)
    before = Order.objects.values().get(id=order.id)

    with pytest.raises(Conflict) as error:
        ACTIONS[target](order)

    assert error.value.code == "conflict"
    assert error.value.details["status"] == source
    assert error.value.details["requested_status"] == target
    assert Order.objects.values().get(id=order.id) == before
    assert order.status_changes.count() == 0
    captured_events.assert_nothing_published()


def test_confirmation_sets_the_payment_deadline(settings, captured_events):
    settings.ORDERS = {**settings.ORDERS, "PAYMENT_TIMEOUT_MINUTES": 15}
    order = OrderFactory(status=S.PENDING)

    order_confirm(order_id=order.id)

    order.refresh_from_db()
    assert order.payment_due_at == order.confirmed_at + timedelta(minutes=15)
    assert (
        captured_events.assert_published("orders.order.confirmed").data["payment_due_at"]
        == order.payment_due_at.isoformat()
    )


def test_rejection_keeps_a_reason_the_customer_can_read(captured_events):
    order = OrderFactory(status=S.PENDING, lines__name="Blue mug")
    product_id = str(order.lines.get().product_id)
    failed = [{"product_id": product_id, "requested": 2, "available": 0, "reason": "insufficient_stock"}]

    order_reject(order_id=order.id, reason="insufficient_stock", failed_lines=failed)

    order.refresh_from_db()
    assert order.status_reason == "Insufficient stock: Blue mug (requested 2, available 0)"
    assert order.rejection_details == failed
    assert captured_events.assert_published("orders.order.rejected").data["failed_lines"] == failed


def test_cancellation_event_lists_the_lines_to_release(captured_events):
    order = OrderFactory(status=S.CONFIRMED, lines=2)

    order_cancel(order_id=order.id, reason=CancellationReason.STAFF, actor=OrderStatusChange.Actor.STAFF)

    data = captured_events.assert_published("orders.order.cancelled").data
    assert (data["reason"], data["previous_status"]) == ("staff", "confirmed")
    assert data["lines"] == [
        {"product_id": str(line.product_id), "quantity": line.quantity} for line in order.lines.all()
    ]
    order.refresh_from_db()
    assert (order.cancellation_reason, order.status_reason) == ("staff", "Cancelled by staff.")


# -- expiry -------------------------------------------------------------------------------------


def test_overdue_confirmed_orders_expire_and_release_their_stock(captured_events):
    overdue = OrderFactory(status=S.CONFIRMED, payment_due_at=timezone.now() - timedelta(seconds=1))
    in_time = OrderFactory(status=S.CONFIRMED, payment_due_at=timezone.now() + timedelta(minutes=5))
    paid = OrderFactory(status=S.PAID, payment_due_at=timezone.now() - timedelta(minutes=5))
    pending = OrderFactory(status=S.PENDING)

    assert orders_expire_unpaid() == 1

    overdue.refresh_from_db()
    assert (overdue.status, overdue.cancellation_reason) == (S.CANCELLED, "expired")
    assert overdue.status_changes.get().actor == "system"
    for untouched, status in [(in_time, S.CONFIRMED), (paid, S.PAID), (pending, S.PENDING)]:
        untouched.refresh_from_db()
        assert untouched.status == status
    data = captured_events.assert_published("orders.order.cancelled").data
    assert (data["order_id"], data["reason"], data["previous_status"]) == (
        str(overdue.id),
        "expired",
        "confirmed",
    )


def test_expiry_with_nothing_overdue_does_nothing(captured_events):
    OrderFactory(status=S.CONFIRMED)

    assert orders_expire_unpaid() == 0
    captured_events.assert_nothing_published()


def test_expiry_task_runs_the_sweep(captured_events):
    from orders.ordering.tasks import expire_unpaid_orders_task

    OrderFactory(status=S.CONFIRMED, payment_due_at=timezone.now() - timedelta(minutes=1))

    assert expire_unpaid_orders_task.apply().get() == 1


def test_a_rejection_mixing_reasons_names_each(captured_events):
    order = OrderFactory(status=S.PENDING, lines=0)
    kettle = OrderLineFactory(order=order, name="Kettle")
    lamp = OrderLineFactory(order=order, name="Lamp")
    failed = [
        {
            "product_id": str(kettle.product_id),
            "requested": 2,
            "available": 1,
            "reason": "insufficient_stock",
        },
        {"product_id": str(lamp.product_id), "requested": 1, "reason": "inactive_product"},
    ]

    order_reject(order_id=order.id, reason="insufficient_stock", failed_lines=failed)

    order.refresh_from_db()
    assert (
        order.status_reason
        == "Insufficient stock: Kettle (requested 2, available 1), Lamp (inactive product)"
    )
