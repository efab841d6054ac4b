"""The stock side of the checkout saga: reactions to orders' events.

Each handler reads only the fields it declares in ``catalog/handlers.py`` and runs in the
inbox transaction servicekit opens; the services below are idempotent per order as well,
so a redelivered or re-sent event never reserves, releases or commits twice.
"""

from __future__ import annotations

import uuid

from catalog.inventory.services import (
    stock_commit_for_order,
    stock_release_for_order,
    stock_reserve_for_order,
)
from servicekit.events.envelope import Event


def reserve_stock_for_placed_order(event: Event) -> None:
    data = event.data
    # Lines are checked one by one (a malformed one is rejected as ``invalid_line``, which can
    # still be published); only a bad order id, which no answer could name, fails the event.
    stock_reserve_for_order(
        order_id=uuid.UUID(data["order_id"]), user_id=str(data.get("user_id") or ""), lines=data.get("lines")
    )


def release_stock_for_cancelled_order(event: Event) -> None:
    data = event.data
    stock_release_for_order(order_id=uuid.UUID(data["order_id"]), reason=data["reason"])


def commit_stock_for_paid_order(event: Event) -> None:
    stock_commit_for_order(order_id=uuid.UUID(event.data["order_id"]))
