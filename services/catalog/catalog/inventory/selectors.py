"""Reads of stock movements and reservations."""

from __future__ import annotations

import uuid

from django.db.models import QuerySet, Sum

from catalog.inventory.models import StockAdjustment, StockReservation, StockReservationLine
from catalog.products.models import Product


def stock_adjustment_list(*, product: Product) -> QuerySet[StockAdjustment]:
    return StockAdjustment.objects.filter(product=product).order_by("-created_at", "-id")


def stock_reservation_get(*, order_id: uuid.UUID) -> StockReservation | None:
    return StockReservation.objects.filter(order_id=order_id).prefetch_related("lines").first()


def stock_reserved_quantity(*, product_id: uuid.UUID) -> int:
    """Units held by active reservations: always equal to ``Product.reserved``."""
    total = StockReservationLine.objects.filter(
        product_id=product_id, reservation__status=StockReservation.Status.RESERVED
    ).aggregate(total=Sum("quantity"))["total"]
    return total or 0
