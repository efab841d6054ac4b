"""catalog's product events → the product read model (thin adapters over the services)."""

from __future__ import annotations

import uuid

from orders.products.services import ProductData, product_mark_deleted, product_upsert

PRODUCT_FIELDS = ["product_id", "sku", "name", "price", "currency", "is_active"]


def on_product_changed(event) -> None:
    """catalog.product.created / catalog.product.updated: upsert unless we hold a newer state."""
    product_upsert(data=ProductData.from_payload(event.data), changed_at=event.occurred_at_datetime())


def on_product_deleted(event) -> None:
    product_mark_deleted(
        product_id=uuid.UUID(event.data["product_id"]), changed_at=event.occurred_at_datetime()
    )
