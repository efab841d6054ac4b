"""API keys narrowed by their scopes, and staff tokens revoked when a role is taken away."""

from __future__ import annotations

from decimal import Decimal

import pytest

from orders.carts.models import CartLine
from orders.ordering.models import OrderStatus
from servicekit.testing.tokens import tokens_revoked
from tests.factories import OrderFactory, PaymentFactory, ProductFactory

pytestmark = pytest.mark.django_db

CART, ITEMS, ORDERS, PAYMENTS = "/api/v1/cart/", "/api/v1/cart/items/", "/api/v1/orders/", "/api/v1/payments/"


def error_code(response, status):
    assert response.status_code == status, response.content
    return response.json()["error"]["code"]


def test_a_catalog_key_can_neither_fill_a_cart_nor_read_orders_or_payments(api_key_client_for):
    key = api_key_client_for(scopes=["catalog:read"])
    mug = ProductFactory(price=Decimal("12.50"))
    order = OrderFactory(user_id=key.user_id)
    payment = PaymentFactory(order=OrderFactory(user_id=key.user_id, status=OrderStatus.CONFIRMED))

    assert error_code(key.post(ITEMS, {"product_id": str(mug.id), "quantity": 1}, format="json"), 403) == (
        "insufficient_scope"
    )
    assert not CartLine.objects.exists()
    for path in (CART, ORDERS, f"{ORDERS}{order.id}/", PAYMENTS, f"{PAYMENTS}{payment.id}/"):
        assert error_code(key.get(path), 403) == "insufficient_scope", path


def test_a_read_key_reads_and_a_write_key_writes(api_key_client_for):
    mug = ProductFactory(price=Decimal("12.50"))
    reader = api_key_client_for(scopes=["orders:read"])
    order = OrderFactory(user_id=reader.user_id)
    assert reader.get(CART).status_code == 200
    assert reader.get(f"{ORDERS}{order.id}/").status_code == 200
    line = {"product_id": str(mug.id), "quantity": 1}
    assert error_code(reader.post(ITEMS, line, format="json"), 403) == "insufficient_scope"
    assert error_code(reader.post(f"{ORDERS}{order.id}/cancel/"), 403) == "insufficient_scope"
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING and not CartLine.objects.exists()

    writer = api_key_client_for(reader.user_id, scopes=["orders:write"])
    assert writer.post(ITEMS, line, format="json").status_code == 201


def test_a_staff_key_ships_only_with_orders_write_and_a_customer_key_never(api_key_client_for):
    order = OrderFactory(status=OrderStatus.PAID)
    reader = api_key_client_for(roles=["staff"], scopes=["orders:read"])
    assert error_code(reader.post(f"{ORDERS}{order.id}/ship/"), 403) == "insufficient_scope"
    customer = api_key_client_for(roles=["customer"], scopes=["orders:write"])
    assert error_code(customer.post(f"{ORDERS}{order.id}/ship/"), 403) == "permission_denied"
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    staff = api_key_client_for(roles=["staff"], scopes=["orders:write"])
    assert staff.post(f"{ORDERS}{order.id}/ship/").status_code == 200


def test_a_demoted_staff_members_token_stops_reading_other_users_orders(client_for, deliver_event):
    token = client_for(roles=("staff",))
    someone_elses = OrderFactory()
    assert token.get(f"{ORDERS}{someone_elses.id}/").status_code == 200

    # identity took the staff role away: it revokes the user's tokens and says so.
    deliver_event(
        "identity.user.tokens_revoked",
        tokens_revoked(token.user_id, reason="roles_changed"),
        producer="identity",
    )
    assert error_code(token.get(f"{ORDERS}{someone_elses.id}/"), 401) == "token_revoked"
    assert error_code(token.get(ORDERS), 401) == "token_revoked"
