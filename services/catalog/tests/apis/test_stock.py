import uuid

import pytest

from catalog.inventory.models import StockAdjustment
from catalog.inventory.services import stock_reserve_for_order
from catalog.products.models import Product
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def adjustments(product) -> str:
    return f"/api/v1/catalog/products/{product.pk}/stock-adjustments/"


def test_staff_adjust_stock_with_a_reason_and_read_the_trail(staff_client):
    product = ProductFactory(stock_on_hand=5)

    response = staff_client.post(adjustments(product), {"delta": 7, "reason": "restock"}, format="json")

    assert response.status_code == 201, response.content
    assert response.json()["data"]["stock_after"] == 12
    assert Product.objects.get(pk=product.pk).stock_on_hand == 12
    trail = staff_client.get(adjustments(product)).json()["data"]
    assert [(row["delta"], row["reason"], row["actor_id"]) for row in trail] == [
        (7, "restock", staff_client.user_id)
    ]


def test_a_vendor_adjusts_own_stock_only(client_for):
    owner, other = client_for(roles=("vendor",)), client_for(roles=("vendor",))
    product = ProductFactory(vendor_id=owner.user_id, stock_on_hand=5)

    assert other.post(adjustments(product), {"delta": 1, "reason": "x"}, format="json").status_code == 404
    assert other.get(adjustments(product)).status_code == 404
    assert (
        owner.post(adjustments(product), {"delta": -1, "reason": "broken"}, format="json").status_code == 201
    )
    assert Product.objects.get(pk=product.pk).stock_on_hand == 4


def test_customers_cannot_adjust_stock(customer_client):
    product = ProductFactory(stock_on_hand=5)

    assert (
        customer_client.post(adjustments(product), {"delta": 1, "reason": "x"}, format="json").status_code
        == 403
    )
    assert not StockAdjustment.objects.exists()


def test_stock_cannot_drop_below_reserved_units(staff_client):
    product = ProductFactory(stock_on_hand=5)
    stock_reserve_for_order(
        order_id=uuid.uuid4(), user_id="u",
        lines=[{"product_id": str(product.pk), "quantity": 4, "unit_price": "1.00", "currency": "USD"}],
    )  # fmt: skip

    response = staff_client.post(adjustments(product), {"delta": -2, "reason": "count"}, format="json")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "stock_below_reserved"
    assert staff_client.get(f"/api/v1/catalog/products/{product.pk}/").json()["data"]["available"] == 1


def test_staff_see_where_an_order_stands(staff_client, customer_client):
    product = ProductFactory(stock_on_hand=5)
    order_id = uuid.uuid4()
    stock_reserve_for_order(
        order_id=order_id, user_id="u",
        lines=[{"product_id": str(product.pk), "quantity": 2, "unit_price": "1.00", "currency": "USD"}],
    )  # fmt: skip

    response = staff_client.get(f"/api/v1/catalog/reservations/{order_id}/")

    assert response.status_code == 200
    assert response.json()["data"]["status"] == "reserved"
    assert response.json()["data"]["lines"] == [{"product_id": str(product.pk), "quantity": 2}]
    assert customer_client.get(f"/api/v1/catalog/reservations/{order_id}/").status_code == 403
