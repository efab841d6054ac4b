"""The ``data`` of every event the ordering domain publishes (schemas in contracts/events/)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from orders.ordering.models import Order, OrderLine
from servicekit.money import format_amount


def _lines(order: Order) -> list[dict[str, Any]]:
    return [{"product_id": str(line.product_id), "quantity": line.quantity} for line in order.lines.all()]


def _base(order: Order) -> dict[str, Any]:
    return {"order_id": str(order.id), "user_id": str(order.user_id)}


def order_placed(order: Order, lines: Iterable[OrderLine]) -> dict[str, Any]:
    return {
        **_base(order),
        "lines": [
            {
                "product_id": str(line.product_id),
                "sku": line.sku,
                "name": line.name,
                "quantity": line.quantity,
                "unit_price": format_amount(line.unit_price, order.currency),
                "currency": order.currency,
            }
            for line in lines
        ],
        "total": format_amount(order.total, order.currency),
        "currency": order.currency,
        "placed_at": order.placed_at.isoformat(),
    }


def order_confirmed(order: Order) -> dict[str, Any]:
    return {
        **_base(order),
        "total": format_amount(order.total, order.currency),
        "currency": order.currency,
        "payment_due_at": order.payment_due_at.isoformat() if order.payment_due_at else None,
    }


def order_rejected(order: Order) -> dict[str, Any]:
    return {**_base(order), "reason": order.status_reason, "failed_lines": order.rejection_details}


def order_cancelled(order: Order, *, previous_status: str) -> dict[str, Any]:
    return {
        **_base(order),
        "reason": order.cancellation_reason,
        "previous_status": previous_status,
        "lines": _lines(order),
    }


def order_paid(order: Order, *, payment_id: str) -> dict[str, Any]:
    return {
        **_base(order),
        "amount": format_amount(order.total, order.currency),
        "currency": order.currency,
        "payment_id": payment_id,
        "lines": _lines(order),
    }


def order_shipped(order: Order) -> dict[str, Any]:
    return {
        **_base(order),
        "carrier": order.carrier,
        "tracking_number": order.tracking_number,
        "shipped_at": order.shipped_at.isoformat() if order.shipped_at else None,
        "lines": _lines(order),
    }


def order_completed(order: Order) -> dict[str, Any]:
    return {
        **_base(order),
        "completed_at": order.completed_at.isoformat() if order.completed_at else None,
        "lines": _lines(order),
    }
