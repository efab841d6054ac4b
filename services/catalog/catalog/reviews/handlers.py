"""Review eligibility: who bought what, as told by orders' paid and completed events."""

from __future__ import annotations

import uuid

from catalog.reviews.services import purchase_record
from servicekit.events.envelope import Event


def record_purchases(event: Event) -> None:
    data = event.data
    purchase_record(
        user_id=data["user_id"],
        order_id=uuid.UUID(data["order_id"]),
        product_ids=[uuid.UUID(line["product_id"]) for line in data["lines"]],
    )
