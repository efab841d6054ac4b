"""The ``data`` of every event the inventory domain publishes (schemas in
contracts/events/catalog.stock.*.json): its half of the checkout saga."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from catalog.inventory.models import StockReservation, StockReservationLine


def _lines(lines: Iterable[StockReservationLine]) -> list[dict[str, Any]]:
    return [{"product_id": str(line.product_id), "quantity": line.quantity} for line in lines]


def stock_reserved(reservation: StockReservation) -> dict[str, Any]:
    return {
        "order_id": str(reservation.order_id),
        "lines": _lines(reservation.lines.order_by("product_id")),
    }


def stock_rejected(reservation: StockReservation) -> dict[str, Any]:
    return {
        "order_id": str(reservation.order_id),
        "reason": reservation.reason,
        "failed_lines": reservation.failed_lines,
    }


def stock_released(
    *, order_id: uuid.UUID, reason: str, lines: Iterable[StockReservationLine]
) -> dict[str, Any]:
    return {"order_id": str(order_id), "reason": reason, "lines": _lines(lines)}
