"""The ``data`` of every event the products domain publishes (schemas in
contracts/events/catalog.product.*.json)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from catalog.products.models import Product
from servicekit.money import format_amount


def product_core_data(product: Product) -> dict[str, Any]:
    """What other services' product read models keep: in the events and the internal export."""
    return {
        "product_id": str(product.id),
        "sku": product.sku,
        "name": product.name,
        "price": format_amount(product.price, product.currency),
        "currency": product.currency,
        "is_active": product.is_active,
    }


def product_created(product: Product) -> dict[str, Any]:
    return {
        **product_core_data(product),
        "vendor_id": product.vendor_id or None,
        "category_id": str(product.category_id) if product.category_id else None,
    }


def product_updated(product: Product, *, changed_fields: Iterable[str]) -> dict[str, Any]:
    return {**product_created(product), "changed_fields": sorted(changed_fields)}


def product_deleted(product: Product) -> dict[str, Any]:
    """Built before the row is deleted (Django clears the instance's id on delete)."""
    return {"product_id": str(product.id), "sku": product.sku}
