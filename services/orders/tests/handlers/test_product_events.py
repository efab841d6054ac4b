"""catalog's product events keep the read model in sync (delivered through the inbox)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from orders.products.models import Product

pytestmark = pytest.mark.django_db


def _product_event(product_id, **overrides):
    return {
        "product_id": str(product_id),
        "sku": "TEE-M",
        "name": "T-shirt",
        "price": "19.90",
        "currency": "EUR",
        "is_active": True,
        "vendor_id": None,
        "category_id": None,
        **overrides,
    }


def test_created_then_updated_then_deleted_follows_catalog(deliver_at):
    product_id = uuid.uuid4()
    start = datetime.now(UTC)

    deliver_at("catalog.product.created", _product_event(product_id), occurred_at=start)
    product = Product.objects.get(id=product_id)
    assert (product.name, product.price, product.currency, product.is_purchasable) == (
        "T-shirt",
        Decimal("19.90"),
        "EUR",
        True,
    )

    deliver_at(
        "catalog.product.updated",
        _product_event(product_id, price="17.50", is_active=False),
        occurred_at=start + timedelta(seconds=1),
    )
    product.refresh_from_db()
    assert (product.price, product.is_active) == (Decimal("17.50"), False)

    deliver_at(
        "catalog.product.deleted",
        {"product_id": str(product_id), "sku": "TEE-M"},
        occurred_at=start + timedelta(seconds=2),
    )
    product.refresh_from_db()
    assert product.deleted_at is not None


def test_an_update_older_than_what_we_hold_is_ignored(deliver_at):
    product_id = uuid.uuid4()
    now = datetime.now(UTC)
    deliver_at("catalog.product.updated", _product_event(product_id, price="30.00"), occurred_at=now)

    deliver_at(
        "catalog.product.updated",
        _product_event(product_id, price="10.00"),
        occurred_at=now - timedelta(minutes=5),
    )

    assert Product.objects.get(id=product_id).price == Decimal("30.00")


def test_a_redelivered_event_is_handled_once(deliver_at):
    product_id = uuid.uuid4()
    event_id = str(uuid.uuid4())
    deliver_at("catalog.product.created", _product_event(product_id), event_id=event_id)
    Product.objects.filter(id=product_id).update(name="changed since")

    outcome = deliver_at("catalog.product.created", _product_event(product_id), event_id=event_id)

    assert outcome.handled == [] and len(outcome.duplicates) == 1
    assert Product.objects.get(id=product_id).name == "changed since"


def test_the_handler_sees_only_the_fields_it_declared(deliver_at, monkeypatch):
    seen = {}
    from orders.products import services

    original = services.ProductData.from_payload

    def spy(payload):
        seen.update(payload)
        return original(payload)

    monkeypatch.setattr(services.ProductData, "from_payload", staticmethod(spy))
    deliver_at("catalog.product.created", _product_event(uuid.uuid4(), stock=5))

    assert set(seen) == {"product_id", "sku", "name", "price", "currency", "is_active"}


def _created_then_deleted(
    deliver_at, product_id: uuid.UUID, start: datetime, *, deleted_after: timedelta
) -> None:
    """catalog created the product at ``start`` and deleted it ``deleted_after`` later."""
    deliver_at("catalog.product.created", _product_event(product_id), occurred_at=start)
    deliver_at(
        "catalog.product.deleted",
        {"product_id": str(product_id), "sku": "TEE-M"},
        occurred_at=start + deleted_after,
    )


def test_a_product_catalog_creates_again_after_deleting_it_is_purchasable_again(deliver_at):
    product_id, start = uuid.uuid4(), datetime.now(UTC)
    _created_then_deleted(deliver_at, product_id, start, deleted_after=timedelta(seconds=1))

    deliver_at(
        "catalog.product.created",
        _product_event(product_id, name="T-shirt (restocked)"),
        occurred_at=start + timedelta(seconds=2),
    )

    product = Product.objects.get(id=product_id)
    assert (product.name, product.deleted_at, product.is_purchasable) == ("T-shirt (restocked)", None, True)


def test_a_stale_event_delivered_after_the_deletion_does_not_resurrect(deliver_at):
    product_id, start = uuid.uuid4(), datetime.now(UTC)
    _created_then_deleted(deliver_at, product_id, start, deleted_after=timedelta(seconds=2))

    # an update made before the deletion, redelivered late
    outcome = deliver_at(
        "catalog.product.updated",
        _product_event(product_id, price="5.00"),
        occurred_at=start + timedelta(seconds=1),
    )

    assert outcome.handled  # acknowledged, not retried
    product = Product.objects.get(id=product_id)
    assert product.deleted_at is not None and product.is_purchasable is False
    assert product.price == Decimal("19.90")


def test_an_event_without_the_fields_orders_does_not_need_is_applied(deliver_event):
    """vendor_id, category_id and changed_fields are catalog's business; sku may be empty."""
    product_id = uuid.uuid4()
    data = {k: v for k, v in _product_event(product_id).items() if k not in {"vendor_id", "category_id"}}

    outcome = deliver_event("catalog.product.updated", {**data, "sku": ""})

    assert outcome.handled
    product = Product.objects.get(id=product_id)
    assert (product.sku, product.name, product.is_purchasable) == ("", "T-shirt", True)
