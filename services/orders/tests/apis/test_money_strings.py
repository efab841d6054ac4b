"""Every amount orders shows or publishes has exactly its currency's minor units, as catalog
writes it: JPY "1200", BHD "1.250", USD "12.50" (servicekit.money)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from orders.ordering.models import OrderStatus
from orders.payments.providers.card_numbers import SUCCEEDS
from tests.factories import ADDRESS, OrderFactory, ProductFactory

pytestmark = pytest.mark.django_db

PRICES = [
    # currency, the product's price as catalog sends it, the price, the line total of two
    ("JPY", "1200", "1200", "2400"),
    ("BHD", "1.25", "1.250", "2.500"),
    ("USD", "12.5", "12.50", "25.00"),
    ("CLF", "0.1234", "0.1234", "0.2468"),
]


@pytest.mark.parametrize(("currency", "price", "shown", "line_total"), PRICES)
def test_cart_order_payment_and_events_write_the_same_strings(
    customer, captured_events, currency, price, shown, line_total
):
    product = ProductFactory(price=Decimal(price), currency=currency)
    customer.post("/api/v1/cart/items/", {"product_id": str(product.id), "quantity": 2}, format="json")

    cart = customer.get("/api/v1/cart/").json()["data"]
    assert (cart["lines"][0]["unit_price"], cart["lines"][0]["line_total"]) == (shown, line_total)
    assert cart["totals"] == [{"currency": currency, "amount": line_total}]

    placed = customer.post(
        "/api/v1/orders/", {"shipping_address": ADDRESS}, format="json", HTTP_IDEMPOTENCY_KEY="money"
    ).json()["data"]
    listed = customer.get("/api/v1/orders/").json()["data"][0]
    for order in (placed, listed, customer.get(f"/api/v1/orders/{placed['id']}/").json()["data"]):
        assert (order["currency"], order["total"]) == (currency, line_total)
        assert (order["lines"][0]["unit_price"], order["lines"][0]["line_total"]) == (shown, line_total)
    event = captured_events.assert_published("orders.order.placed", order_id=placed["id"])
    assert (event.data["lines"][0]["unit_price"], event.data["total"]) == (shown, line_total)


@pytest.mark.parametrize(("currency", "price", "shown", "line_total"), PRICES)
def test_payments_write_the_same_strings(customer, captured_events, currency, price, shown, line_total):
    order = OrderFactory(
        user_id=customer.user_id,
        status=OrderStatus.CONFIRMED,
        currency=currency,
        lines__unit_price=Decimal(price),
        lines__quantity=2,
    )

    payment = customer.post(
        "/api/v1/payments/", {"order_id": str(order.id), "payment_method": SUCCEEDS}, format="json"
    ).json()["data"]

    assert (payment["currency"], payment["amount"]) == (currency, line_total)
    assert (
        captured_events.assert_published("orders.order.paid", order_id=str(order.id)).data["amount"]
        == line_total
    )
