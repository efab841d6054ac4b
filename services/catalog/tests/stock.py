"""What the stock counters summarise, counted from the rows, for tests to check them against."""

from __future__ import annotations

import uuid

from django.db.models import Sum

from catalog.inventory.models import StockReservation, StockReservationLine


def units_in_active_reservations(*, product_id: uuid.UUID) -> int:
    """Units held by active reservations: ``Product.reserved`` must always equal it."""
    total = StockReservationLine.objects.filter(
        product_id=product_id, reservation__status=StockReservation.Status.RESERVED
    ).aggregate(total=Sum("quantity"))["total"]
    return total or 0
