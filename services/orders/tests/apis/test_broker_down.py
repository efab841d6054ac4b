"""Refunds while RabbitMQ is down: cancelling a paid order (or retrying a failed refund) answers
as usual, the refund task could not be sent, and beat's sweep sends it once the refund is old
enough. The broker is a real closed port (servicekit.testing.celery.broker_down)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from orders.celery import app
from orders.ordering.models import OrderStatus
from orders.payments.models import PaymentStatus, Refund, RefundStatus
from orders.payments.refunds import refunds_dispatch_stale
from orders.payments.tasks import refunds_dispatch_stale_task
from servicekit.testing.celery import broker_down
from tests.factories import OrderFactory, PaymentFactory, RefundFactory

pytestmark = pytest.mark.django_db


def later(seconds: int = 31):
    return timezone.now() + timedelta(seconds=seconds)


def test_a_paid_order_cancelled_while_the_broker_is_down_is_refunded_by_the_sweep(
    customer, django_capture_on_commit_callbacks, captured_events, caplog
):
    order = OrderFactory(user_id=customer.user_id, status=OrderStatus.PAID)
    payment = PaymentFactory(order=order)

    with broker_down(app), django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = customer.post(f"/api/v1/orders/{order.id}/cancel/")

    assert response.status_code == 200, response.content
    assert response.json()["data"]["status"] == "cancelled"
    assert callbacks  # the task's send ran at the commit, and raised nothing
    assert "orders.payments.refund_process" in caplog.text and "the broker is unavailable" in caplog.text
    refund = Refund.objects.get(payment=payment)
    assert (refund.status, refund.asked_at) == (RefundStatus.PENDING, None)  # its task was lost

    assert refunds_dispatch_stale() == 0  # too recent: its task might still be on its way
    assert refunds_dispatch_stale_task.apply().get() == 0
    assert refunds_dispatch_stale(now=later()) == 1  # the broker is back (tasks are eager here)

    refund.refresh_from_db()
    payment.refresh_from_db()
    assert (refund.status, payment.status) == (RefundStatus.SUCCEEDED, PaymentStatus.REFUNDED)
    assert refund.asked_at is not None
    captured_events.assert_published("orders.payment.refunded", refund_id=str(refund.id))
    assert refunds_dispatch_stale(now=later()) == 0  # sent once


def test_a_refund_retried_while_the_broker_is_down_is_asked_for_by_the_sweep(
    staff, django_capture_on_commit_callbacks
):
    failed = RefundFactory(
        payment=PaymentFactory(),
        status=RefundStatus.FAILED,
        provider_refund_id="re_failed",
        failure_message="the card account is closed",
        asked_at=timezone.now() - timedelta(minutes=5),
    )

    with broker_down(app), django_capture_on_commit_callbacks(execute=True):
        response = staff.post(f"/api/v1/payments/{failed.payment_id}/refund/retry/")

    assert response.status_code == 202, response.content
    failed.refresh_from_db()
    assert (failed.status, failed.attempts, failed.asked_at) == (RefundStatus.PENDING, 2, None)

    assert refunds_dispatch_stale(now=later()) == 1
    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == (RefundStatus.SUCCEEDED, 2)


def test_refunds_already_asked_for_or_settled_are_not_sent_again():
    asked = RefundFactory(asked_at=timezone.now())  # pending: the provider's webhook will settle it
    settled = RefundFactory(status=RefundStatus.SUCCEEDED)

    assert refunds_dispatch_stale(now=later()) == 0

    for refund in (asked, settled):
        status = refund.status
        refund.refresh_from_db()
        assert refund.status == status
