"""Inputs the database cannot store are 400s naming the field, never 500s.

Postgres ``integer`` columns stop at 2**31 - 1; ``jsonb`` refuses NUL characters and non-finite
numbers; text columns refuse NUL too. Amounts never keep a negative zero.
"""

import json

import pytest

from catalog.categories.models import Category
from catalog.inventory.models import StockAdjustment
from catalog.limits import MAX_INT
from catalog.products.models import Product, ProductImage
from tests.factories import CategoryFactory, ProductFactory, PurchaseFactory

pytestmark = pytest.mark.django_db

PRODUCTS = "/api/v1/catalog/products/"
CATEGORIES = "/api/v1/catalog/categories/"
TOO_BIG = 2**31


def payload(**overrides):
    return {"sku": "MUG-1", "name": "Blue mug", "price": "12.50", "currency": "USD", "stock": 5} | overrides


def validation_error(response, field):
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert field in error["details"], error
    return error


# -- integers beyond Postgres integer ------------------------------------------------------------


def test_a_stock_beyond_the_integer_range_is_refused(staff_client):
    validation_error(staff_client.post(PRODUCTS, payload(stock=TOO_BIG), format="json"), "stock")

    assert not Product.objects.exists()


def test_the_largest_integer_is_still_a_valid_stock(staff_client):
    response = staff_client.post(PRODUCTS, payload(stock=MAX_INT), format="json")

    assert response.status_code == 201, response.content
    assert response.json()["data"]["stock"] == MAX_INT


@pytest.mark.parametrize("delta", [TOO_BIG, -TOO_BIG, 10**30])
def test_a_stock_adjustment_beyond_the_integer_range_is_refused(staff_client, delta):
    product = ProductFactory(stock_on_hand=5)

    validation_error(
        staff_client.post(
            f"{PRODUCTS}{product.pk}/stock-adjustments/", {"delta": delta, "reason": "x"}, format="json"
        ),
        "delta",
    )

    assert Product.objects.get(pk=product.pk).stock_on_hand == 5
    assert not StockAdjustment.objects.exists()


def test_a_stock_adjustment_that_would_overflow_stock_on_hand_is_refused(staff_client):
    product = ProductFactory(stock_on_hand=MAX_INT - 5)

    error = validation_error(
        staff_client.post(
            f"{PRODUCTS}{product.pk}/stock-adjustments/", {"delta": 10, "reason": "x"}, format="json"
        ),
        "delta",
    )

    assert str(MAX_INT) in error["details"]["delta"][0]
    assert Product.objects.get(pk=product.pk).stock_on_hand == MAX_INT - 5
    assert not StockAdjustment.objects.exists()


def test_a_category_position_beyond_the_integer_range_is_refused_on_create_and_patch(staff_client):
    validation_error(
        staff_client.post(CATEGORIES, {"name": "Home", "position": TOO_BIG}, format="json"), "position"
    )
    assert not Category.objects.exists()

    category = CategoryFactory(position=3)
    validation_error(
        staff_client.patch(f"{CATEGORIES}{category.pk}/", {"position": TOO_BIG}, format="json"), "position"
    )
    assert Category.objects.get(pk=category.pk).position == 3


def test_an_image_position_beyond_the_integer_range_is_refused(staff_client):
    product = ProductFactory()

    validation_error(
        staff_client.post(
            f"{PRODUCTS}{product.pk}/images/",
            {"url": "https://cdn.example.com/a.jpg", "position": TOO_BIG},
            format="json",
        ),
        "position",
    )

    assert not ProductImage.objects.exists()


# -- NUL characters and non-finite numbers -------------------------------------------------------


@pytest.mark.parametrize(
    "attributes",
    [
        {"colo\u0000ur": "blue"},  # in a key
        {"colour": "bl\u0000ue"},  # in a value
        {"sizes": [{"label": "X\u0000L"}]},  # deep inside
        {"nested": {"deeper": {"key\u0000": 1}}},
    ],
)
def test_nul_characters_in_attributes_are_refused_on_create_and_patch(staff_client, attributes):
    validation_error(staff_client.post(PRODUCTS, payload(attributes=attributes), format="json"), "attributes")
    assert not Product.objects.exists()

    product = ProductFactory(attributes={"colour": "red"})
    validation_error(
        staff_client.patch(f"{PRODUCTS}{product.pk}/", {"attributes": attributes}, format="json"),
        "attributes",
    )
    assert Product.objects.get(pk=product.pk).attributes == {"colour": "red"}


def test_a_number_too_large_for_a_float_in_attributes_is_refused(staff_client):
    body = json.dumps(payload())[:-1] + ', "attributes": {"weight": 1e400}}'  # parses to infinity

    response = staff_client.post(PRODUCTS, body, content_type="application/json")

    validation_error(response, "attributes")
    assert not Product.objects.exists()


def test_attributes_without_nul_still_nest_freely(staff_client):
    attributes = {"sizes": [{"label": "XL", "stock": 3}], "tags": ["a", "b"], "meta": {"x": None}}

    response = staff_client.post(PRODUCTS, payload(attributes=attributes), format="json")

    assert response.status_code == 201, response.content
    assert response.json()["data"]["attributes"] == attributes


@pytest.mark.parametrize("field", ["name", "description", "sku", "slug"])
def test_nul_characters_in_product_text_fields_are_refused(staff_client, field):
    validation_error(staff_client.post(PRODUCTS, payload(**{field: "bad\u0000value"}), format="json"), field)


@pytest.mark.parametrize("field", ["name", "description"])
def test_nul_characters_in_category_text_fields_are_refused(staff_client, field):
    validation_error(staff_client.post(CATEGORIES, {"name": "Home", field: "x\u0000y"}, format="json"), field)


@pytest.mark.parametrize("field", ["title", "body"])
def test_nul_characters_in_reviews_are_refused(client_for, field):
    product = ProductFactory()
    author = client_for(roles=("customer",))
    PurchaseFactory(user_id=author.user_id, product_id=product.pk)

    review = {"rating": 5, "title": "Great", field: "x\u0000y"}
    validation_error(author.post(f"{PRODUCTS}{product.pk}/reviews/", review, format="json"), field)


def test_nul_characters_in_a_stock_reason_and_a_search_are_refused(staff_client, api_client):
    product = ProductFactory()

    validation_error(
        staff_client.post(
            f"{PRODUCTS}{product.pk}/stock-adjustments/", {"delta": 1, "reason": "x\u0000"}, format="json"
        ),
        "reason",
    )
    validation_error(api_client.get(PRODUCTS, {"search": "mug\u0000"}), "search")


# -- negative zero -------------------------------------------------------------------------------


def test_a_negative_zero_price_is_stored_and_shown_as_zero(staff_client, captured_events):
    created = staff_client.post(PRODUCTS, payload(price="-0.00"), format="json")

    assert created.status_code == 201, created.content
    assert created.json()["data"]["price"] == "0.00"
    assert captured_events.assert_published("catalog.product.created").data["price"] == "0.00"

    product_id = created.json()["data"]["id"]
    staff_client.patch(f"{PRODUCTS}{product_id}/", {"price": "1.00"}, format="json")
    patched = staff_client.patch(f"{PRODUCTS}{product_id}/", {"price": "-0"}, format="json")

    assert patched.status_code == 200, patched.content
    assert patched.json()["data"]["price"] == "0.00"
    assert [event.data["price"] for event in captured_events.of_type("catalog.product.updated")] == [
        "1.00",
        "0.00",
    ]


def test_an_image_body_nested_too_deeply_is_a_parse_error_not_a_500(staff_client):
    """The image upload also reads JSON (a URL): through servicekit's parser, whose depth
    guard DRF's own parser lacks (found by the fuzzing suite, tests/hardening)."""
    product = ProductFactory()
    images = ProductImage.objects.filter(product=product)

    response = staff_client.generic(
        "POST",
        f"/api/v1/catalog/products/{product.pk}/images/",
        "[" * 100_000 + "]" * 100_000,
        content_type="application/json",
    )

    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == "parse_error"
    assert not images.exists()
