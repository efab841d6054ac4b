"""The product read model's writes: upsert, stale events, deletion, rebuild."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from orders.products.models import Product
from orders.products.services import ProductData, product_mark_deleted, product_upsert, products_rebuild
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def _data(product_id: uuid.UUID, **overrides) -> ProductData:
    payload = {
        "product_id": str(product_id),
        "sku": "MUG-1",
        "name": "Mug",
        "price": "12.50",
        "currency": "USD",
        "is_active": True,
        **overrides,
    }
    return ProductData.from_payload(payload)


def test_upsert_creates_the_copy_with_decimal_price():
    product_id = uuid.uuid4()

    product_upsert(data=_data(product_id, price="7.12"), changed_at=timezone.now())

    product = Product.objects.get(id=product_id)
    assert (product.name, product.sku, product.currency, product.is_active) == ("Mug", "MUG-1", "USD", True)
    assert product.price == Decimal("7.12")


@pytest.mark.parametrize(("price", "currency"), [("1200", "JPY"), ("1.250", "BHD"), ("7.1234", "CLF")])
def test_prices_keep_every_minor_unit_of_their_currency(price, currency):
    assert _data(uuid.uuid4(), price=price, currency=currency).price == Decimal(price)


def test_upsert_applies_a_newer_change():
    product = ProductFactory(name="Old", price=Decimal("1.00"))
    later = product.source_changed_at + timedelta(seconds=1)

    product_upsert(data=_data(product.id, name="New", price="2.00", is_active=False), changed_at=later)

    product.refresh_from_db()
    assert (product.name, product.price, product.is_active) == ("New", Decimal("2.00"), False)
    assert product.source_changed_at == later


def test_upsert_ignores_an_older_change_arriving_late():
    product = ProductFactory(name="Current", price=Decimal("5.00"))

    product_upsert(
        data=_data(product.id, name="Stale", price="1.00"),
        changed_at=product.source_changed_at - timedelta(minutes=1),
    )

    product.refresh_from_db()
    assert (product.name, product.price) == ("Current", Decimal("5.00"))


def test_deletion_keeps_a_tombstone_that_cannot_be_bought():
    product = ProductFactory()

    product_mark_deleted(product_id=product.id, changed_at=timezone.now())

    product.refresh_from_db()
    assert product.deleted_at is not None
    assert product.is_purchasable is False


def test_deletion_of_an_unknown_product_changes_nothing():
    assert product_mark_deleted(product_id=uuid.uuid4(), changed_at=timezone.now()) is None
    assert Product.objects.count() == 0


def test_rebuild_upserts_every_exported_product_and_deletes_the_missing_ones():
    kept = ProductFactory(name="Old name")
    gone = ProductFactory()
    new_id = uuid.uuid4()
    rows = [
        {
            "product_id": str(kept.id),
            "sku": kept.sku,
            "name": "New name",
            "price": "3.00",
            "currency": "EUR",
            "is_active": True,
        },
        {
            "product_id": str(new_id),
            "sku": "NEW",
            "name": "Brand new",
            "price": "9.99",
            "currency": "EUR",
            "is_active": True,
        },
    ]

    result = products_rebuild(rows=rows)

    assert (result.upserted, result.deleted) == (2, 1)
    kept.refresh_from_db()
    gone.refresh_from_db()
    assert (kept.name, kept.currency) == ("New name", "EUR")
    assert Product.objects.get(id=new_id).price == Decimal("9.99")
    assert gone.deleted_at is not None


@pytest.mark.parametrize(
    ("price", "currency"),
    [
        ("twelve", "USD"),
        ("7.1234", "USD"),
        ("1200.5", "JPY"),
        ("-1.00", "USD"),
        (12.5, "USD"),
        ("1.00", "XXX"),
    ],
)
def test_invalid_price_is_refused(price, currency):
    """Never rounded nor guessed: catalog sends only valid prices, anything else is a fault to look at."""
    with pytest.raises(ValueError):
        _data(uuid.uuid4(), price=price, currency=currency)


# -- deletion and re-creation ------------------------------------------------------------------


def _deleted_product(**fields) -> Product:
    product = ProductFactory(**fields)
    product_mark_deleted(product_id=product.id, changed_at=product.source_changed_at + timedelta(seconds=1))
    product.refresh_from_db()
    assert product.deleted_at is not None
    return product


def test_a_product_recreated_after_its_deletion_comes_back():
    product = _deleted_product(name="Mug")
    later = product.deleted_at + timedelta(seconds=1)

    product_upsert(data=_data(product.id, name="Mug v2", price="14.00"), changed_at=later)

    product.refresh_from_db()
    assert product.deleted_at is None
    assert (product.name, product.price, product.is_active, product.is_purchasable) == (
        "Mug v2",
        Decimal("14.00"),
        True,
        True,
    )
    assert product.source_changed_at == later


@pytest.mark.parametrize("age", [timedelta(seconds=1), timedelta(0)], ids=["older", "same-time"])
def test_a_change_not_newer_than_the_deletion_does_not_resurrect(age):
    product = _deleted_product(name="Mug")
    deleted_at = product.deleted_at

    product_upsert(data=_data(product.id, name="Stale"), changed_at=deleted_at - age)

    product.refresh_from_db()
    assert product.deleted_at == deleted_at
    assert (product.name, product.is_purchasable) == ("Mug", False)


def test_a_rebuild_brings_back_a_product_catalog_exports_again():
    product = _deleted_product(name="Old")
    row = {
        "product_id": str(product.id),
        "sku": product.sku,
        "name": "Re-exported",
        "price": "3.00",
        "currency": "USD",
        "is_active": True,
    }

    result = products_rebuild(rows=[row], exported_at=product.deleted_at + timedelta(minutes=1))

    product.refresh_from_db()
    assert (result.upserted, result.deleted) == (1, 0)
    assert (product.name, product.deleted_at, product.is_purchasable) == ("Re-exported", None, True)


def test_a_rebuild_older_than_a_deletion_keeps_the_product_deleted():
    product = _deleted_product(name="Gone")
    row = {
        "product_id": str(product.id),
        "sku": product.sku,
        "name": "Exported before the delete",
        "price": "3.00",
        "currency": "USD",
        "is_active": True,
    }

    products_rebuild(rows=[row], exported_at=product.deleted_at - timedelta(seconds=1))

    product.refresh_from_db()
    assert product.deleted_at is not None
    assert product.name == "Gone"


def test_a_rebuild_does_not_delete_a_product_created_after_the_export_started():
    exported_at = timezone.now()
    newer = ProductFactory(source_changed_at=exported_at + timedelta(seconds=5))
    older = ProductFactory(source_changed_at=exported_at - timedelta(seconds=5))

    result = products_rebuild(rows=[], exported_at=exported_at)

    newer.refresh_from_db()
    older.refresh_from_db()
    assert result.deleted == 1
    assert (newer.deleted_at, older.deleted_at) == (None, exported_at)
