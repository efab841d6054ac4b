"""/api/v1/payments/: pay an order, read payments; another user's payment is 404."""

from __future__ import annotations

import uuid

import pytest

from orders.ordering.models import OrderStatus
from orders.payments.models import Payment
from orders.payments.providers.card_numbers import DECLINED, REQUIRES_3DS, SUCCEEDS
from tests.factories import OrderFactory, PaymentFactory

pytestmark = pytest.mark.django_db

PAYMENTS = "/api/v1/payments/"


def _pay(client, order, card=SUCCEEDS, **extra):
    return client.post(PAYMENTS, {"order_id": str(order.id), "payment_method": card, **extra}, format="json")


def test_paying_a_confirmed_order(customer, captured_events):
    order = OrderFactory(user_id=customer.user_id, status=OrderStatus.CONFIRMED)

    response = _pay(customer, order)

    assert response.status_code == 201
    payment = response.json()["data"]
    assert (payment["status"], payment["amount"], payment["card_last4"], payment["refund"]) == (
        "succeeded",
        "20.00",
        "4242",
        None,
    )
    assert customer.get(f"/api/v1/orders/{order.id}/").json()["data"]["status"] == "paid"
    captured_events.assert_published("orders.order.paid", order_id=str(order.id))


def test_a_declined_payment_is_reported_in_the_payment(customer, captured_events):
    order = OrderFactory(user_id=customer.user_id, status=OrderStatus.CONFIRMED)

    response = _pay(customer, order, card=DECLINED)

    assert response.status_code == 201
    assert (response.json()["data"]["status"], response.json()["data"]["failure_code"]) == (
        "failed",
        "card_declined",
    )
    captured_events.assert_published("orders.payment.failed", order_id=str(order.id))


def test_3ds_returns_the_next_action(customer):
    order = OrderFactory(user_id=customer.user_id, status=OrderStatus.CONFIRMED)

    data = _pay(customer, order, card=REQUIRES_3DS).json()["data"]

    assert data["status"] == "requires_action"
    assert data["next_action"]["type"] == "three_d_secure"


def test_a_card_number_is_never_stored_or_returned(customer):
    order = OrderFactory(user_id=customer.user_id, status=OrderStatus.CONFIRMED)

    body = _pay(customer, order).content.decode()

    assert SUCCEEDS not in body
    assert not any(SUCCEEDS in str(value) for value in Payment.objects.values().get().values())


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"payment_method": SUCCEEDS}, 400, "validation_error"),
        ({"order_id": "x", "payment_method": SUCCEEDS}, 400, "validation_error"),
        ({"order_id": None, "payment_method": "1234"}, 400, "validation_error"),
    ],
)
def test_malformed_requests(customer, body, status, code):
    if body.get("order_id") is None and "order_id" in body:
        body["order_id"] = str(OrderFactory(user_id=customer.user_id, status=OrderStatus.CONFIRMED).id)
    response = customer.post(PAYMENTS, body, format="json")

    assert (response.status_code, response.json()["error"]["code"]) == (status, code)
    assert Payment.objects.count() == 0


def test_paying_someone_elses_order_is_404(customer, other_customer):
    order = OrderFactory(user_id=customer.user_id, status=OrderStatus.CONFIRMED)

    response = _pay(other_customer, order)

    assert (response.status_code, response.json()["error"]["code"]) == (404, "not_found")
    assert Payment.objects.count() == 0


def test_paying_a_pending_order_is_409(customer):
    order = OrderFactory(user_id=customer.user_id, status=OrderStatus.PENDING)

    response = _pay(customer, order)

    assert (response.status_code, response.json()["error"]["code"]) == (409, "order_not_payable")


def test_unknown_provider_is_404(customer):
    order = OrderFactory(user_id=customer.user_id, status=OrderStatus.CONFIRMED)

    response = _pay(customer, order, provider="paypal")

    assert (response.status_code, response.json()["error"]["code"]) == (404, "unknown_provider")


def test_payments_list_and_detail_are_per_user(customer, other_customer, staff):
    mine = PaymentFactory(order__user_id=uuid.UUID(customer.user_id))
    theirs = PaymentFactory(order__user_id=uuid.UUID(other_customer.user_id))

    assert [p["id"] for p in customer.get(PAYMENTS).json()["data"]] == [str(mine.id)]
    assert [p["id"] for p in customer.get(PAYMENTS, {"order_id": str(theirs.order_id)}).json()["data"]] == []
    assert customer.get(f"{PAYMENTS}{mine.id}/").status_code == 200
    assert customer.get(f"{PAYMENTS}{theirs.id}/").status_code == 404
    assert staff.get(f"{PAYMENTS}{theirs.id}/").status_code == 200
    assert len(staff.get(PAYMENTS).json()["data"]) == 2


def test_payments_require_authentication(api_client):
    assert api_client.get(PAYMENTS).status_code == 401
    assert api_client.post(PAYMENTS, {}, format="json").status_code == 401


@pytest.mark.parametrize("url", [PAYMENTS, "/api/v1/orders/", "/api/v1/cart/"])
def test_a_token_whose_subject_is_not_a_user_lists_nothing(client_for, url):
    response = client_for("svc-reporting", roles=("customer",)).get(url)

    assert (response.status_code, response.json()["error"]["code"]) == (403, "permission_denied")
