"""/api/v1/cart/: envelopes, status codes, validation errors, per-user isolation."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from orders.carts.models import CartLine
from tests.factories import CartLineFactory, ProductFactory

pytestmark = pytest.mark.django_db

CART = "/api/v1/cart/"
ITEMS = "/api/v1/cart/items/"


def test_cart_requires_authentication(api_client):
    response = api_client.get(CART)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_an_empty_cart(customer):
    response = customer.get(CART)

    assert response.status_code == 200
    assert response.json()["data"] == {"lines": [], "totals": [], "item_count": 0, "updated_at": None}


def test_add_then_read_the_cart_with_current_prices_and_totals(customer):
    mug = ProductFactory(name="Mug", sku="MUG", price=Decimal("12.50"))

    created = customer.post(ITEMS, {"product_id": str(mug.id), "quantity": 2}, format="json")
    merged = customer.post(ITEMS, {"product_id": str(mug.id), "quantity": 1}, format="json")

    assert (created.status_code, merged.status_code) == (201, 200)
    cart = customer.get(CART).json()["data"]
    [line] = cart["lines"]
    assert {
        k: line[k]
        for k in (
            "product_id",
            "sku",
            "name",
            "unit_price",
            "currency",
            "quantity",
            "line_total",
            "is_available",
        )
    } == {
        "product_id": str(mug.id),
        "sku": "MUG",
        "name": "Mug",
        "unit_price": "12.50",
        "currency": "USD",
        "quantity": 3,
        "line_total": "37.50",
        "is_available": True,
    }
    assert cart["totals"] == [{"currency": "USD", "amount": "37.50"}]
    assert cart["item_count"] == 3


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"product_id": "not-a-uuid", "quantity": 1}, "validation_error", "product_id"),
        ({"quantity": 1}, "validation_error", "product_id"),
        ({"product_id": str(uuid.uuid4()), "quantity": "many"}, "validation_error", "quantity"),
        ({"product_id": str(uuid.uuid4()), "quantity": 1}, "unknown_product", "product_id"),
        ({"product_id": str(uuid.UUID(int=0)), "quantity": 1}, "unknown_product", "product_id"),
        ({"product_id": {"id": 1}, "quantity": 1}, "validation_error", "product_id"),
        ({"product_id": str(uuid.uuid4()), "quantity": 2**40}, "validation_error", "quantity"),
        ({"product_id": str(uuid.uuid4()), "quantity": 1.5}, "validation_error", "quantity"),
        ({"product_id": str(uuid.uuid4()), "quantity": True}, "validation_error", "quantity"),
    ],
)
def test_invalid_additions_are_envelope_errors(customer, body, code, field):
    if body["quantity"] == 2**40:  # beyond int4: refused before any product lookup or insert
        body["product_id"] = str(ProductFactory().id)
        code = "quantity_out_of_range"
    response = customer.post(ITEMS, body, format="json")

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == code
    assert field in error["details"]
    assert CartLine.objects.count() == 0


def test_inactive_product_quantity_bounds_and_currency_are_explained(customer):
    inactive = ProductFactory(is_active=False)
    usd = ProductFactory(currency="USD")
    eur = ProductFactory(currency="EUR")

    assert (
        customer.post(ITEMS, {"product_id": str(inactive.id), "quantity": 1}).json()["error"]["code"]
        == "inactive_product"
    )
    too_many = customer.post(ITEMS, {"product_id": str(usd.id), "quantity": 100}).json()["error"]
    assert too_many["code"] == "quantity_out_of_range"
    assert too_many["details"]["quantity"] == ["Ensure this value is between 1 and 99."]
    assert (
        customer.post(ITEMS, {"product_id": str(usd.id), "quantity": 0}).json()["error"]["code"]
        == "quantity_out_of_range"
    )
    customer.post(ITEMS, {"product_id": str(usd.id), "quantity": 1})
    mixed = customer.post(ITEMS, {"product_id": str(eur.id), "quantity": 1})
    assert (mixed.status_code, mixed.json()["error"]["code"]) == (400, "currency_mismatch")


@pytest.mark.parametrize("quantity", [0, -1])
def test_adding_a_quantity_below_one_to_a_line_in_the_cart_is_a_400_naming_quantity(customer, quantity):
    product = ProductFactory()
    customer.post(ITEMS, {"product_id": str(product.id), "quantity": 2})

    response = customer.post(ITEMS, {"product_id": str(product.id), "quantity": quantity}, format="json")

    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "quantity_out_of_range"
    assert error["details"] == {"quantity": ["Ensure this value is between 1 and 99."]}
    assert CartLine.objects.get().quantity == 2


def test_update_and_remove_a_line(customer):
    product = ProductFactory()
    customer.post(ITEMS, {"product_id": str(product.id), "quantity": 1})

    updated = customer.patch(f"{ITEMS}{product.id}/", {"quantity": 4}, format="json")
    assert updated.status_code == 200
    assert updated.json()["data"]["lines"][0]["quantity"] == 4

    removed = customer.delete(f"{ITEMS}{product.id}/")
    assert removed.status_code == 200
    assert removed.json()["data"]["lines"] == []


def test_update_with_a_bad_quantity_is_refused(customer):
    product = ProductFactory()
    customer.post(ITEMS, {"product_id": str(product.id), "quantity": 1})

    response = customer.patch(f"{ITEMS}{product.id}/", {"quantity": 0}, format="json")

    assert (response.status_code, response.json()["error"]["code"]) == (400, "quantity_out_of_range")
    assert CartLine.objects.get().quantity == 1


def test_a_line_not_in_the_cart_is_404(customer):
    response = customer.patch(f"{ITEMS}{uuid.uuid4()}/", {"quantity": 1}, format="json")

    assert (response.status_code, response.json()["error"]["code"]) == (404, "not_found")


def test_clear_the_cart(customer):
    customer.post(ITEMS, {"product_id": str(ProductFactory().id), "quantity": 1})

    response = customer.delete(CART)

    assert response.status_code == 200
    assert response.json()["data"]["lines"] == []


def test_each_user_sees_and_changes_only_their_own_cart(customer, other_customer):
    theirs = CartLineFactory(cart__user_id=uuid.UUID(other_customer.user_id))

    assert customer.get(CART).json()["data"]["lines"] == []
    assert customer.delete(f"{ITEMS}{theirs.product_id}/").status_code == 404
    customer.delete(CART)
    assert CartLine.objects.filter(id=theirs.id).exists()
    assert len(other_customer.get(CART).json()["data"]["lines"]) == 1


@pytest.mark.parametrize(
    "raw",
    ['{"product_id": ', "[" * 5000 + "]" * 5000, '{"product_id": "x", "quantity": NaN}', '"text"', "[1]"],
    ids=["truncated", "nested-too-deep", "nan", "a-string", "a-list"],
)
def test_a_body_that_is_not_a_json_object_is_a_400(customer, raw):
    response = customer.post(ITEMS, data=raw, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] in {"parse_error", "validation_error"}
