"""Payloads of the orders events the catalog consumes (shapes from contracts/events/orders.*)."""

from __future__ import annotations

import uuid
from typing import Any

Lines = list[tuple[Any, int]]  # [(product or product id, quantity), …]


def _id(product: Any) -> str:
    return str(getattr(product, "pk", product))


def order_placed(order_id: uuid.UUID, lines: Lines, *, user_id: str | None = None) -> dict[str, Any]:
    return {
        "order_id": str(order_id),
        "user_id": user_id or str(uuid.uuid4()),
        "lines": [
            {"product_id": _id(product), "quantity": quantity, "unit_price": "10.00", "currency": "USD"}
            for product, quantity in lines
        ],
        "total": "10.00",
        "currency": "USD",
    }


def order_paid(order_id: uuid.UUID, user_id: str, lines: Lines) -> dict[str, Any]:
    return {
        "order_id": str(order_id),
        "user_id": user_id,
        "amount": "20.00",
        "currency": "USD",
        "lines": [{"product_id": _id(product), "quantity": quantity} for product, quantity in lines],
    }


def order_cancelled(
    order_id: uuid.UUID, user_id: str, lines: Lines, reason: str = "customer"
) -> dict[str, Any]:
    return {
        "order_id": str(order_id),
        "user_id": user_id,
        "reason": reason,
        "lines": [{"product_id": _id(product), "quantity": quantity} for product, quantity in lines],
    }


def order_completed(order_id: uuid.UUID, user_id: str, lines: Lines) -> dict[str, Any]:
    return {
        "order_id": str(order_id),
        "user_id": user_id,
        "lines": [{"product_id": _id(product), "quantity": quantity} for product, quantity in lines],
    }
