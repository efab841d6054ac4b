"""catalog's answers to an order's stock reservation, as orders' handlers receive them."""

from __future__ import annotations

from typing import Any

from orders.ordering.models import Order


def stock_reserved(order: Order) -> dict[str, Any]:
    """``catalog.stock.reserved``: every line of ``order`` reserved."""
    return {
        "order_id": str(order.id),
        "lines": [
            {"product_id": str(line.product_id), "quantity": line.quantity} for line in order.lines.all()
        ],
    }


def stock_rejected(order: Order, *, available: int = 1, **overrides: Any) -> dict[str, Any]:
    """``catalog.stock.rejected``: the one line of ``order`` has only ``available`` units."""
    line = order.lines.get()
    return {
        "order_id": str(order.id),
        "reason": "insufficient_stock",
        "failed_lines": [
            {
                "product_id": str(line.product_id),
                "requested": line.quantity,
                "available": available,
                "reason": "insufficient_stock",
            }
        ],
        **overrides,
    }
