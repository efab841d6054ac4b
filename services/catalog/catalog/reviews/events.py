"""The ``data`` of every event the reviews domain publishes (schema in
contracts/events/catalog.review.created.v1.json)."""

from __future__ import annotations

from typing import Any

from catalog.reviews.models import Review


def review_created(review: Review) -> dict[str, Any]:
    return {
        "review_id": str(review.id),
        "product_id": str(review.product_id),
        "user_id": review.user_id,
        "rating": review.rating,
        "title": review.title,
    }
