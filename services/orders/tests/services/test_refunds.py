"""Refunds: ``orders.payment.refunded`` exactly once (synchronous answer or webhook), failures
kept visible, and staff retries (a new attempt with its own provider reference)."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from orders.ordering.models import CancellationReason, OrderStatus, OrderStatusChange
from orders.ordering.services import order_cancel
from orders.payments.models import PaymentStatus, Refund, RefundStatus
from orders.payments.providers import RefundResult
from orders.payments.providers.card_numbers import SUCCEEDS, TestCardProvider
from orders.payments.refunds import refund_apply_result, refund_process, refund_reference, refund_retry
from orders.payments.services import payment_create
from servicekit.envelope.errors import Conflict, NotFound
from tests.factories import OrderFactory, PaymentFactory, RefundFactory

pytestmark = pytest.mark.django_db

WEBHOOK = "/api/v1/payments/webhooks/test/"


@pytest.fixture
def paid_order():
    order = OrderFactory(status=OrderStatus.CONFIRMED, lines__unit_price=Decimal("12.50"), lines__quantity=2)
    payment = payment_create(user_id=order.user_id, order_id=order.id, payment_method=SUCCEEDS)
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    return order, payment


def _cancel(order, capture):
    with capture(execute=True):
        order_cancel(
            order_id=order.id,
            reason=CancellationReason.CUSTOMER,
            actor=OrderStatusChange.Actor.CUSTOMER,
            actor_id=order.user_id,
        )


def _provider_answers(monkeypatch, *results: RefundResult) -> list[dict]:
    """The test provider answers the given results in turn (recording each call)."""
    calls: list[dict] = []
    answers = list(results)

    def refund(self, **kwargs):
        calls.append(kwargs)
        return answers.pop(0) if len(answers) > 1 else answers[0]

    monkeypatch.setattr(TestCardProvider, "refund", refund)
    return calls


def _webhook(settings, event_type: str, **data):
    body, headers = TestCardProvider.webhook(
        event_type, secret=settings.ORDERS["PAYMENT_WEBHOOK_SECRET"], **data
    )
    return APIClient().post(
        WEBHOOK,
        data=body,
        content_type="application/json",
        **{
            f"HTTP_{name.upper().replace('-', '_')}": value
            for name, value in headers.items()
            if name != "Content-Type"
        },
    )


# -- orders.payment.refunded -------------------------------------------------------------------


def test_a_refund_the_provider_confirms_at_once_is_announced(
    paid_order, captured_events, django_capture_on_commit_callbacks
):
    order, payment = paid_order

    _cancel(order, django_capture_on_commit_callbacks)

    refund = Refund.objects.get()
    assert refund.status == RefundStatus.SUCCEEDED
    event = captured_events.assert_published("orders.payment.refunded", subject=str(order.id))
    assert event.data == {
        "order_id": str(order.id),
        "user_id": str(order.user_id),
        "payment_id": str(payment.id),
        "refund_id": str(refund.id),
        "amount": "25.00",
        "currency": "USD",
        "reason": "order_cancelled",
        "refunded_at": refund.succeeded_at.isoformat(),
    }
    assert captured_events.types[-2:] == ["orders.order.cancelled", "orders.payment.refunded"]


def test_a_refund_settled_by_webhook_is_announced_once(
    paid_order, captured_events, django_capture_on_commit_callbacks, monkeypatch, settings
):
    order, payment = paid_order
    _provider_answers(monkeypatch, RefundResult(status="pending", provider_refund_id="re_async"))
    _cancel(order, django_capture_on_commit_callbacks)
    refund = Refund.objects.get()
    assert (refund.status, refund.provider_refund_id) == (RefundStatus.PENDING, "re_async")
    assert captured_events.of_type("orders.payment.refunded") == []

    first = _webhook(
        settings, "refund.succeeded", provider_payment_id=payment.provider_payment_id, refund_id="re_async"
    )
    # the same outcome again, as another provider event, and the synchronous path once more
    second = _webhook(
        settings, "refund.succeeded", provider_payment_id=payment.provider_payment_id, refund_id="re_async"
    )
    refund_apply_result(
        refund_id=refund.id, result=RefundResult(status="succeeded", provider_refund_id="re_async")
    )

    assert (first.json()["data"]["outcome"], second.json()["data"]["outcome"]) == (
        "refund_succeeded",
        "refund_succeeded",
    )
    refund.refresh_from_db()
    payment.refresh_from_db()
    assert (refund.status, payment.status) == (RefundStatus.SUCCEEDED, PaymentStatus.REFUNDED)
    event = captured_events.assert_published("orders.payment.refunded", refund_id=str(refund.id))
    assert event.data["payment_id"] == str(payment.id)


def test_a_success_applied_twice_is_announced_once(paid_order, captured_events):
    _order, payment = paid_order
    refund = RefundFactory(payment=payment)

    refund_process(refund_id=refund.id)
    refund_apply_result(
        refund_id=refund.id,
        result=RefundResult(status="succeeded", provider_refund_id=f"test_re_{refund.id.hex}"),
    )

    assert len(captured_events.of_type("orders.payment.refunded")) == 1


# -- failures stay visible ---------------------------------------------------------------------


def test_a_refund_the_provider_refuses_stays_failed_and_visible(
    paid_order, captured_events, django_capture_on_commit_callbacks, monkeypatch, client_for
):
    order, payment = paid_order
    _provider_answers(
        monkeypatch, RefundResult(status="failed", provider_refund_id="re_1", failure_message="card closed")
    )

    _cancel(order, django_capture_on_commit_callbacks)

    refund = Refund.objects.get()
    assert (refund.status, refund.failure_message, refund.attempts) == (RefundStatus.FAILED, "card closed", 1)
    assert refund.failed_at is not None
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED  # the money is still captured
    assert captured_events.of_type("orders.payment.refunded") == []
    shown = client_for(order.user_id).get(f"/api/v1/payments/{payment.id}/").json()["data"]["refund"]
    assert (shown["status"], shown["failure_message"], shown["attempts"]) == ("failed", "card closed", 1)
    assert shown["failed_at"] is not None


def test_a_failure_reported_by_webhook_is_kept_too(
    paid_order, django_capture_on_commit_callbacks, monkeypatch, settings
):
    order, payment = paid_order
    _provider_answers(monkeypatch, RefundResult(status="pending", provider_refund_id="re_async"))
    _cancel(order, django_capture_on_commit_callbacks)

    response = _webhook(
        settings,
        "refund.failed",
        provider_payment_id=payment.provider_payment_id,
        refund_id="re_async",
        failure_message="account closed",
    )

    assert response.json()["data"]["outcome"] == "refund_failed"
    refund = Refund.objects.get()
    assert (refund.status, refund.failure_message) == (RefundStatus.FAILED, "account closed")


def test_a_success_reported_after_a_failure_is_recorded_and_announced(
    paid_order, captured_events, monkeypatch
):
    _order, payment = paid_order
    refund = RefundFactory(payment=payment)
    refund_apply_result(refund_id=refund.id, result=RefundResult(status="failed", provider_refund_id="re_1"))

    refund_apply_result(
        refund_id=refund.id, result=RefundResult(status="succeeded", provider_refund_id="re_1")
    )
    refund_apply_result(refund_id=refund.id, result=RefundResult(status="failed", provider_refund_id="re_1"))

    refund.refresh_from_db()
    assert (refund.status, refund.failure_message) == (RefundStatus.SUCCEEDED, "")
    assert len(captured_events.of_type("orders.payment.refunded")) == 1


# -- retrying ----------------------------------------------------------------------------------


def _failed_refund(payment) -> Refund:
    refund = RefundFactory(payment=payment)
    refund_apply_result(
        refund_id=refund.id,
        result=RefundResult(status="failed", provider_refund_id="re_1", failure_message="try later"),
    )
    refund.refresh_from_db()
    return refund


def test_retrying_a_failed_refund_asks_again_with_a_new_reference(
    paid_order, captured_events, django_capture_on_commit_callbacks, refund_requests
):
    _order, payment = paid_order
    refund = _failed_refund(payment)
    first_reference = refund_reference(refund)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        retried = refund_retry(payment_id=payment.id, actor="staff-1")
    assert (retried.status, retried.attempts, retried.failure_message, retried.failed_at) == (
        RefundStatus.PENDING,
        2,
        "",
        None,
    )
    assert len(callbacks) == 1  # the refund task, enqueued on commit
    callbacks[0]()
    refund_process(refund_id=refund.id)  # a redelivered task asks nothing more

    assert len(refund_requests) == 1
    assert refund_requests[0]["reference"] != first_reference == str(refund.id)
    assert refund_requests[0]["reference"] == str(uuid.uuid5(refund.id, "attempt-2"))
    refund.refresh_from_db()
    payment.refresh_from_db()
    assert (refund.status, payment.status) == (RefundStatus.SUCCEEDED, PaymentStatus.REFUNDED)
    assert refund.provider_refund_id == f"test_re_{uuid.uuid5(refund.id, 'attempt-2').hex}"
    captured_events.assert_published("orders.payment.refunded", refund_id=str(refund.id))


def test_an_answer_about_an_earlier_attempt_is_ignored(paid_order, captured_events):
    _order, payment = paid_order
    refund = _failed_refund(payment)
    refund_retry(payment_id=payment.id, actor="staff-1")

    refund_apply_result(
        refund_id=refund.id, result=RefundResult(status="failed", provider_refund_id="re_1"), attempt=1
    )

    refund.refresh_from_db()
    assert (refund.status, refund.attempts) == (RefundStatus.PENDING, 2)


@pytest.mark.parametrize("status", [RefundStatus.PENDING, RefundStatus.SUCCEEDED])
def test_only_a_failed_refund_can_be_retried(paid_order, status, django_capture_on_commit_callbacks):
    _order, payment = paid_order
    refund = Refund.objects.create(
        payment=payment, amount=payment.amount, currency="USD", reason="order_cancelled", status=status
    )

    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(Conflict) as error:
        refund_retry(payment_id=payment.id, actor="staff-1")

    assert (error.value.code, error.value.details) == ("refund_not_retryable", {"refund_status": status})
    refund.refresh_from_db()
    assert (refund.status, refund.attempts) == (status, 1)
    assert callbacks == []


def test_a_payment_without_a_refund_cannot_be_retried():
    payment = PaymentFactory()

    with pytest.raises(Conflict) as error:
        refund_retry(payment_id=payment.id, actor="staff-1")

    assert error.value.details == {"refund_status": None}


def test_retrying_an_unknown_payment_is_not_found():
    with pytest.raises(NotFound):
        refund_retry(payment_id=uuid.uuid4(), actor="staff-1")
