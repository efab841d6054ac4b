"""/internal/products/export/: every product, for services rebuilding their read models."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db

EXPORT = "/internal/products/export/"
ROW_FIELDS = {"product_id", "sku", "name", "price", "currency", "is_active"}


@pytest.fixture
def internal(api_client, settings):
    """A client sending what orders' products_rebuild sends."""
    api_client.credentials(
        HTTP_ACCEPT="application/json", HTTP_X_INTERNAL_TOKEN=settings.SERVICEKIT["INTERNAL_API_TOKEN"]
    )
    return api_client


def read_all(client, url: str) -> tuple[list[dict], list[dict]]:
    """Every row, following ``meta.pagination.next`` as orders' products_rebuild does."""
    rows, pages = [], []
    next_url: str | None = url
    while next_url:
        response = client.get(next_url)
        assert response.status_code == 200, response.content
        body = response.json()
        rows.extend(body["data"])
        pages.append(body["meta"]["pagination"])
        next_url = body["meta"]["pagination"]["next"]
    return rows, pages


def test_the_export_pages_through_every_product_in_id_order(internal):
    products = [
        ProductFactory(price=Decimal("12.5"), currency="USD"),
        ProductFactory(price=Decimal("1200"), currency="JPY"),
        ProductFactory(price=Decimal("0.125"), currency="BHD"),
        *ProductFactory.create_batch(2),
    ]

    rows, pages = read_all(internal, f"{EXPORT}?page_size=2")

    assert len(pages) == 3 and pages[0]["page_size"] == 2 and pages[-1]["next"] is None
    assert pages[0]["next"].startswith("http://testserver/internal/products/export/?after=")
    assert [row["product_id"] for row in rows] == sorted(str(product.pk) for product in products)
    assert all(set(row) == ROW_FIELDS for row in rows)
    by_id = {row["product_id"]: row for row in rows}
    usd, jpy, bhd = (by_id[str(product.pk)] for product in products[:3])
    assert usd == {
        "product_id": str(products[0].pk), "sku": products[0].sku, "name": products[0].name,
        "price": "12.50", "currency": "USD", "is_active": True,
    }  # fmt: skip
    assert (jpy["price"], bhd["price"]) == ("1200", "0.125")


def test_inactive_products_are_exported_too(internal):
    active, inactive = ProductFactory(is_active=True), ProductFactory(is_active=False)

    rows, _ = read_all(internal, EXPORT)

    assert {row["product_id"]: row["is_active"] for row in rows} == {
        str(active.pk): True,
        str(inactive.pk): False,
    }


def test_the_export_is_not_cached(internal):
    product = ProductFactory(name="Lamp")
    assert internal.get(EXPORT).json()["data"][0]["name"] == "Lamp"

    type(product).objects.filter(pk=product.pk).update(name="Desk")  # no invalidation on purpose

    assert internal.get(EXPORT).json()["data"][0]["name"] == "Desk"


def test_the_page_size_has_a_default_and_a_cap(internal):
    ProductFactory()

    default = internal.get(EXPORT).json()["meta"]["pagination"]
    capped = internal.get(EXPORT, {"page_size": 100_000}).json()["meta"]["pagination"]

    assert (default["page_size"], default["next"]) == (500, None)
    assert capped["page_size"] == 1000


@pytest.mark.parametrize("token", [None, "", "wrong"])
def test_the_export_needs_the_internal_token(api_client, token):
    ProductFactory()
    if token is not None:
        api_client.credentials(HTTP_X_INTERNAL_TOKEN=token)

    response = api_client.get(EXPORT)

    assert response.status_code == 403, response.content
    assert response.json()["error"]["code"] == "permission_denied"
    assert "data" not in response.json()


def test_a_staff_token_is_not_the_internal_token(staff_client):
    response = staff_client.get(EXPORT)

    assert response.status_code == 403 and response.json()["error"]["code"] == "permission_denied"


def test_the_number_of_queries_for_a_page_does_not_grow_with_the_page_size(internal):
    ProductFactory.create_batch(30)

    counts = {}
    for size in (2, 25):
        with CaptureQueriesContext(connection) as queries:
            response = internal.get(EXPORT, {"page_size": size})
        assert response.status_code == 200 and len(response.json()["data"]) == size
        counts[size] = len(queries)

    assert counts[2] == counts[25] == 1  # one keyset query, no count


def test_a_product_deleted_during_the_read_does_not_hide_another(internal):
    """Keyset pages: deleting a row already read shifts nothing (page numbers would skip one)."""
    products = sorted(ProductFactory.create_batch(5), key=lambda product: str(product.pk))
    expected = [str(product.pk) for product in products]
    first = internal.get(EXPORT, {"page_size": 2}).json()
    products[0].delete()

    rest, _ = read_all(internal, first["meta"]["pagination"]["next"])

    assert [row["product_id"] for row in first["data"] + rest] == expected


def test_a_bad_cursor_is_a_validation_error(internal):
    response = internal.get(EXPORT, {"after": "not-a-uuid"})
    assert response.status_code == 400
    assert set(response.json()["error"]["details"]) == {"after"}


def test_the_export_is_not_in_the_openapi_schema(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    assert not [path for path in response.json()["paths"] if "internal" in path]


def test_empty_export_parameters_mean_the_defaults(internal):
    ProductFactory.create_batch(3)

    response = internal.get(f"{EXPORT}?after=&page_size=")

    assert response.status_code == 200, response.content
    assert len(response.json()["data"]) == 3
