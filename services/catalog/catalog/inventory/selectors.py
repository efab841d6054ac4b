"""Reads of stock movements and reservations."""

from __future__ import annotations

import uuid

from django.db.models import QuerySet

from catalog.inventory.models import StockAdjustment, StockReservation
from catalog.products.models import Product


def stock_adjustment_list(*, product: Product) -> QuerySet[StockAdjustment]:
    return StockAdjustment.objects.filter(product=product).order_by("-created_at", "-id")


def stock_reservation_get(*, order_id: uuid.UUID) -> StockReservation | None:
    return StockReservation.objects.filter(order_id=order_id).prefetch_related("lines").first()
