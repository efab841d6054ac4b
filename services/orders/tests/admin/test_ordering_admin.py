"""The orders admin is read-only (status changes go through the API's state machine) and shows
amounts as the API writes them."""

from __future__ import annotations

from decimal import Decimal

import pytest

from orders.ordering.models import Order
from tests.factories import OrderFactory, ProductFactory

pytestmark = pytest.mark.django_db
ADMIN = "/admin/orders/"


def test_orders_and_products_show_amounts_in_their_currencys_minor_units(admin_client):
    order = OrderFactory(currency="JPY", lines__unit_price=Decimal("1200"), lines__quantity=2)
    ProductFactory(name="Dates", price=Decimal("1.25"), currency="BHD")

    orders = admin_client.get(f"{ADMIN}ordering/order/").content.decode()
    products = admin_client.get(f"{ADMIN}products/product/").content.decode()

    assert '<td class="field-total">2400</td>' in orders and "2400.0000" not in orders
    assert '<td class="field-price">1.250</td>' in products
    assert admin_client.get(f"{ADMIN}ordering/order/{order.pk}/change/").status_code == 200


def test_an_order_cannot_be_changed_or_deleted_by_hand(admin_client):
    order = OrderFactory()

    assert admin_client.get(f"{ADMIN}ordering/order/add/").status_code == 403
    assert admin_client.post(f"{ADMIN}ordering/order/{order.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Order.objects.filter(pk=order.pk).exists()
