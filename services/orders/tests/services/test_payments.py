"""Paying an order with the built-in test provider, failures, and refunds."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from orders.ordering.models import CancellationReason, Order, OrderStatus, OrderStatusChange
from orders.ordering.services import order_cancel, orders_expire_unpaid
from orders.payments import providers
from orders.payments.models import Payment, PaymentStatus, Refund, RefundStatus
from orders.payments.providers import ProviderUnavailable, RefundResult
from orders.payments.providers.card_numbers import (
    DECLINED,
    INSUFFICIENT_FUNDS,
    REQUIRES_3DS,
    SUCCEEDS,
    TestCardProvider,
)
from orders.payments.refunds import refund_process
from orders.payments.services import payment_create, payment_fail, payment_succeed
from servicekit.envelope.errors import ApplicationError, Conflict, NotFound
from servicekit.testing.concurrency import results_concurrently
from tests.factories import OrderFactory, PaymentFactory, RefundFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def order():
    return OrderFactory(status=OrderStatus.CONFIRMED, lines__unit_price=Decimal("12.50"), lines__quantity=2)


def _pay(order, card=SUCCEEDS, **kwargs):
    return payment_create(user_id=order.user_id, order_id=order.id, payment_method=card, **kwargs)


def test_a_good_card_pays_the_order(order, captured_events):
    payment = _pay(order, card="4242 4242 4242 4242")

    assert (payment.status, payment.amount, payment.currency) == (
        PaymentStatus.SUCCEEDED,
        Decimal("25.00"),
        "USD",
    )
    assert (payment.card_brand, payment.card_last4) == ("visa", "4242")
    assert payment.provider_payment_id == TestCardProvider.payment_id_for(str(payment.id))
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID and order.paid_at is not None
    event = captured_events.assert_published("orders.order.paid", order_id=str(order.id))
    assert (event.data["amount"], event.data["currency"], event.data["payment_id"]) == (
        "25.00",
        "USD",
        str(payment.id),
    )
    assert captured_events.types == ["orders.order.paid"]


@pytest.mark.parametrize(
    ("card", "code"), [(DECLINED, "card_declined"), (INSUFFICIENT_FUNDS, "insufficient_funds")]
)
def test_a_declined_card_fails_the_payment_and_the_order_waits(order, captured_events, card, code):
    payment = _pay(order, card=card)

    assert (payment.status, payment.failure_code) == (PaymentStatus.FAILED, code)
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED
    event = captured_events.assert_published("orders.payment.failed", payment_id=str(payment.id))
    assert (event.data["failure_code"], event.data["attempt"], event.data["attempts_left"]) == (code, 1, 2)
    assert captured_events.of_type("orders.order.paid") == []


def test_the_last_allowed_failure_cancels_the_order(order, captured_events, settings):
    settings.ORDERS = {**settings.ORDERS, "MAX_PAYMENT_ATTEMPTS": 2}
    _pay(order, card=DECLINED)
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED

    _pay(order, card=DECLINED)

    order.refresh_from_db()
    assert (order.status, order.cancellation_reason) == (OrderStatus.CANCELLED, "payment_failed")
    assert captured_events.types == [
        "orders.payment.failed",
        "orders.payment.failed",
        "orders.order.cancelled",
    ]


def test_a_3ds_card_needs_action_and_nothing_is_announced(order, captured_events):
    payment = _pay(order, card=REQUIRES_3DS)

    assert payment.status == PaymentStatus.REQUIRES_ACTION
    assert payment.next_action["type"] == "three_d_secure"
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED
    captured_events.assert_nothing_published()


def test_an_unknown_test_card_is_declined(order):
    payment = _pay(order, card="4111111111111111")

    assert (payment.status, payment.failure_code) == (PaymentStatus.FAILED, "card_not_supported")


@pytest.mark.parametrize(
    "card",
    [
        "4242424242424241",
        "not a card",
        "42",
        "４２４２４２４２４２４２４２４２",  # fullwidth digits: str.isdigit() says yes
        "٤٢٤٢٤٢٤٢٤٢٤٢٤٢٤٢",  # Arabic-Indic digits
        "4" * 20,
    ],
)
def test_an_invalid_card_number_is_a_validation_error_and_creates_nothing(order, captured_events, card):
    with pytest.raises(ApplicationError) as error:
        _pay(order, card=card)

    assert error.value.code == "validation_error"
    assert "payment_method" in error.value.details
    assert Payment.objects.count() == 0
    captured_events.assert_nothing_published()


@pytest.mark.parametrize(
    "status",
    [OrderStatus.PENDING, OrderStatus.REJECTED, OrderStatus.PAID, OrderStatus.CANCELLED, OrderStatus.SHIPPED],
)
def test_only_a_confirmed_order_can_be_paid(status, captured_events):
    order = OrderFactory(status=status)

    with pytest.raises(Conflict) as error:
        _pay(order)

    assert error.value.code == "order_not_payable"
    assert Payment.objects.count() == 0
    captured_events.assert_nothing_published()


def test_an_overdue_order_cannot_be_paid_even_before_the_sweep(captured_events):
    order = OrderFactory(status=OrderStatus.CONFIRMED, payment_due_at=timezone.now() - timedelta(seconds=1))

    with pytest.raises(Conflict) as error:
        _pay(order)

    assert error.value.code == "order_not_payable"
    assert Payment.objects.count() == 0


def test_someone_elses_order_is_not_found(order):
    with pytest.raises(NotFound):
        payment_create(user_id=uuid.uuid4(), order_id=order.id, payment_method=SUCCEEDS)
    assert Payment.objects.count() == 0


def test_a_second_attempt_while_one_is_in_progress_is_a_conflict(order):
    pending = _pay(order, card=REQUIRES_3DS)

    with pytest.raises(Conflict) as error:
        _pay(order)

    assert error.value.code == "payment_in_progress"
    assert error.value.details["payment_id"] == str(pending.id)
    assert Payment.objects.count() == 1


def test_an_unknown_or_disabled_provider_is_not_found(order, settings):
    with pytest.raises(NotFound) as error:
        _pay(order, provider_name="stripe")
    assert error.value.code == "unknown_provider"

    settings.ORDERS = {**settings.ORDERS, "PAYMENT_PROVIDERS": []}
    with pytest.raises(NotFound):
        _pay(order)


def test_an_unreachable_provider_leaves_the_payment_processing(order, monkeypatch, captured_events):
    def unavailable(self, **kwargs):
        raise ProviderUnavailable("timeout")

    monkeypatch.setattr(TestCardProvider, "charge", unavailable)

    with pytest.raises(ApplicationError) as error:
        _pay(order)

    assert (error.value.code, error.value.status_code) == ("upstream_unavailable", 503)
    assert Payment.objects.get().status == PaymentStatus.PROCESSING
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED
    captured_events.assert_nothing_published()


def test_a_method_the_provider_refuses_when_charging_fails_the_attempt_and_frees_the_order(
    order, monkeypatch, captured_events
):
    def refuse(self, **kwargs):
        raise providers.InvalidPaymentMethod("This card cannot be charged.")

    with monkeypatch.context() as patch:
        patch.setattr(TestCardProvider, "charge", refuse)
        payment = _pay(order)

    assert (payment.status, payment.failure_code) == (PaymentStatus.FAILED, "invalid_payment_method")
    captured_events.assert_published("orders.payment.failed", payment_id=str(payment.id))
    assert _pay(order).status == PaymentStatus.SUCCEEDED  # not blocked by a stuck "processing" one


# -- refunds ------------------------------------------------------------------------------------


def _cancel(order, reason=CancellationReason.CUSTOMER):
    return order_cancel(
        order_id=order.id, reason=reason, actor=OrderStatusChange.Actor.CUSTOMER, actor_id=order.user_id
    )


def test_cancelling_a_paid_order_refunds_it(order, captured_events, django_capture_on_commit_callbacks):
    payment = _pay(order)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        _cancel(order)

    assert len(callbacks) == 1  # the refund task, enqueued only once the cancellation committed
    refund = Refund.objects.get()
    assert (refund.status, refund.amount, refund.currency, refund.reason) == (
        RefundStatus.SUCCEEDED,
        Decimal("25.00"),
        "USD",
        "order_cancelled",
    )
    assert refund.provider_refund_id == f"test_re_{refund.id.hex}"
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REFUNDED
    event = captured_events.assert_published("orders.order.cancelled", order_id=str(order.id))
    assert event.data["previous_status"] == "paid"


def test_cancelling_an_unpaid_order_refunds_nothing(order, django_capture_on_commit_callbacks):
    _pay(order, card=DECLINED)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        _cancel(order)

    assert callbacks == []
    assert Refund.objects.count() == 0


def test_a_refund_is_asked_for_once(order, refund_requests):
    payment = _pay(order)
    refund = RefundFactory(payment=payment)

    refund_process(refund_id=refund.id)
    refund_process(refund_id=refund.id)

    assert len(refund_requests) == 1
    assert refund_requests[0]["reference"] == str(refund.id)


def test_a_failed_refund_is_recorded_and_the_payment_stays_captured(order, monkeypatch):
    payment = _pay(order)
    refund = RefundFactory(payment=payment)
    monkeypatch.setattr(
        TestCardProvider,
        "refund",
        lambda self, **kwargs: RefundResult(
            status="failed", provider_refund_id="re_1", failure_message="too late"
        ),
    )

    refund_process(refund_id=refund.id)

    refund.refresh_from_db()
    payment.refresh_from_db()
    assert (refund.status, refund.failure_message) == (RefundStatus.FAILED, "too late")
    assert payment.status == PaymentStatus.SUCCEEDED


def test_an_unreachable_provider_makes_the_refund_task_retry(order, monkeypatch):
    from celery.exceptions import Retry

    from orders.payments.tasks import refund_process_task

    payment = _pay(order)
    refund = RefundFactory(payment=payment)

    def unavailable(self, **kwargs):
        raise ProviderUnavailable("down")

    monkeypatch.setattr(TestCardProvider, "refund", unavailable)
    retries = []

    def fake_retry(*args, **kwargs):
        retries.append(kwargs)
        return Retry()

    monkeypatch.setattr(refund_process_task, "retry", fake_retry)

    with pytest.raises(Retry):
        refund_process_task.run(str(refund.id))

    assert len(retries) == 1 and isinstance(retries[0]["exc"], ProviderUnavailable)
    refund.refresh_from_db()
    assert refund.status == RefundStatus.PENDING


def test_money_arriving_after_expiry_is_given_back(
    order, captured_events, django_capture_on_commit_callbacks
):
    payment = _pay(order, card=REQUIRES_3DS)
    Order.objects.filter(id=order.id).update(payment_due_at=timezone.now() - timedelta(seconds=1))
    assert orders_expire_unpaid() == 1

    with django_capture_on_commit_callbacks(execute=True):
        payment_succeed(payment_id=payment.id)

    order.refresh_from_db()
    payment.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert payment.status == PaymentStatus.REFUNDED
    assert Refund.objects.get().reason == "order_not_payable"
    assert captured_events.of_type("orders.order.paid") == []


def test_applying_a_success_twice_changes_nothing(order, captured_events):
    payment = _pay(order)

    payment_succeed(payment_id=payment.id)

    assert len(captured_events.of_type("orders.order.paid")) == 1


def test_the_database_allows_one_paying_payment_per_order(order):
    from django.db import IntegrityError, transaction

    PaymentFactory(order=order, status=PaymentStatus.SUCCEEDED)
    with pytest.raises(IntegrityError), transaction.atomic():
        PaymentFactory(order=order, status=PaymentStatus.SUCCEEDED)
    with pytest.raises(IntegrityError), transaction.atomic():  # only a captured payment pays
        PaymentFactory(order=OrderFactory(), status=PaymentStatus.FAILED, pays_order=True)


def test_cancelling_refunds_a_payment_recorded_before_pays_order_existed(django_capture_on_commit_callbacks):
    order = OrderFactory(status=OrderStatus.PAID)
    payment = PaymentFactory(order=order, status=PaymentStatus.SUCCEEDED, pays_order=False)  # older code

    with django_capture_on_commit_callbacks(execute=True):
        order_cancel(
            order_id=order.id, reason=CancellationReason.CUSTOMER, actor=OrderStatusChange.Actor.CUSTOMER
        )

    payment.refresh_from_db()
    assert (payment.status, payment.refund.reason) == (PaymentStatus.REFUNDED, "order_cancelled")


def _declined_then_paid_by_another_attempt(order):
    """The provider declines a 3-D Secure attempt; the customer then pays with another card."""
    first = _pay(order, card=REQUIRES_3DS)
    payment_fail(payment_id=first.id, failure_code="authentication_failed")
    second = _pay(order)
    assert second.status == PaymentStatus.SUCCEEDED
    return first, second


def test_a_success_reported_for_a_declined_attempt_after_another_paid_is_refunded(
    order, captured_events, django_capture_on_commit_callbacks
):
    first, second = _declined_then_paid_by_another_attempt(order)

    with django_capture_on_commit_callbacks(execute=True):
        late = payment_succeed(payment_id=first.id)  # the provider took the money after all

    assert late.status == PaymentStatus.SUCCEEDED and not late.pays_order
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.refund.reason) == (PaymentStatus.REFUNDED, "order_not_payable")
    assert (second.status, second.pays_order) == (PaymentStatus.SUCCEEDED, True)
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert len(captured_events.of_type("orders.order.paid")) == 1
    captured_events.assert_published("orders.payment.refunded", payment_id=str(first.id))


def test_cancelling_refunds_the_payment_that_paid_not_the_extra_one(
    order, django_capture_on_commit_callbacks
):
    first, second = _declined_then_paid_by_another_attempt(order)
    payment_succeed(payment_id=first.id)  # its refund is still pending (on-commit not run)

    with django_capture_on_commit_callbacks(execute=True):
        order_cancel(
            order_id=order.id, reason=CancellationReason.CUSTOMER, actor=OrderStatusChange.Actor.CUSTOMER
        )

    second.refresh_from_db()
    assert (second.status, second.refund.reason) == (PaymentStatus.REFUNDED, "order_cancelled")
    assert Refund.objects.count() == 2


def test_providers_are_chosen_by_settings(settings):
    assert providers.enabled_provider_names() == ["test"]
    settings.ORDERS = {**settings.ORDERS, "PAYMENT_PROVIDERS": ["test", "nonexistent"]}
    assert providers.enabled_provider_names() == ["test"]


@pytest.mark.django_db(transaction=True)
def test_concurrent_payments_of_one_order_take_the_money_once():
    order = OrderFactory(status=OrderStatus.CONFIRMED)

    results = results_concurrently([lambda: _pay(order)] * 4)

    succeeded = [r for r in results if isinstance(r, Payment)]
    refused = [r for r in results if isinstance(r, Conflict)]
    assert len(succeeded) == 1 and len(refused) == 3, results
    assert {r.code for r in refused} <= {"payment_in_progress", "order_not_payable"}
    assert Payment.objects.filter(status=PaymentStatus.SUCCEEDED).count() == 1
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
