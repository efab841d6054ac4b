"""Reads of the product read model."""

from __future__ import annotations

import uuid

from orders.products.models import Product


def product_get(*, product_id: uuid.UUID) -> Product | None:
    return Product.objects.filter(id=product_id).first()
