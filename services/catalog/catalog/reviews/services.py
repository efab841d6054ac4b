"""Writes to reviews; the product's rating average and count follow every change."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Avg, Count
from django.utils import timezone

from catalog.cache import invalidate_catalog_reads
from catalog.products.models import Product
from catalog.reviews.models import Purchase, Review
from catalog.reviews.selectors import purchase_exists
from servicekit.envelope.errors import ApplicationError, Conflict
from servicekit.events import publish

UPDATABLE_FIELDS = {"rating", "title", "body"}


def product_rating_refresh(*, product_id: uuid.UUID) -> None:
    """Recompute the product's average and count from its visible reviews.

    The product row is locked first, so concurrent review changes on one product apply
    one after the other and the stored figures always match the reviews.
    """
    Product.objects.select_for_update(of=("self",)).filter(pk=product_id).values_list("pk").first()
    figures = Review.objects.filter(product_id=product_id, is_visible=True).aggregate(
        average=Avg("rating"), count=Count("id")
    )
    average = figures["average"]
    if average is not None:
        average = Decimal(average).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    Product.objects.filter(pk=product_id).update(rating_average=average, rating_count=figures["count"])
    invalidate_catalog_reads()


@transaction.atomic
def purchase_record(*, user_id: str, order_id: uuid.UUID, product_ids: Iterable[uuid.UUID]) -> int:
    """Remember that ``user_id`` bought these products (from orders' paid/completed events)."""
    purchases = [
        Purchase(user_id=user_id, order_id=order_id, product_id=product_id) for product_id in set(product_ids)
    ]
    created = Purchase.objects.bulk_create(purchases, ignore_conflicts=True)
    return len(created)


@transaction.atomic
def review_create(*, product: Product, user_id: str, rating: int, title: str, body: str = "") -> Review:
    """One review per user and product, by users who bought it."""
    if not purchase_exists(user_id=user_id, product_id=product.pk):
        raise ApplicationError(
            "Only customers who bought this product can review it.",
            code="review_not_allowed",
            status_code=403,
        )
    if Review.objects.filter(product=product, user_id=user_id).exists():
        raise Conflict("You have already reviewed this product.", code="review_exists")
    try:
        with transaction.atomic():
            review = Review.objects.create(
                product=product, user_id=user_id, rating=rating, title=title, body=body
            )
    except IntegrityError:  # the same user, concurrently
        raise Conflict("You have already reviewed this product.", code="review_exists") from None
    product_rating_refresh(product_id=product.pk)
    publish(
        "catalog.review.created",
        subject=str(review.id),
        data={
            "review_id": str(review.id),
            "product_id": str(product.pk),
            "user_id": user_id,
            "rating": rating,
            "title": title,
        },
    )
    return review


@transaction.atomic
def review_update(*, review: Review, data: dict[str, Any]) -> Review:
    unknown = set(data) - UPDATABLE_FIELDS
    if unknown:
        raise ValueError(f"not updatable: {sorted(unknown)}")
    changed = [field for field, value in data.items() if getattr(review, field) != value]
    if not changed:
        return review
    for field in changed:
        setattr(review, field, data[field])
    review.save(update_fields=[*changed, "updated_at"])
    if "rating" in changed:
        product_rating_refresh(product_id=review.product_id)
    else:
        invalidate_catalog_reads()
    return review


@transaction.atomic
def review_delete(*, review: Review) -> None:
    product_id = review.product_id
    review.delete()
    product_rating_refresh(product_id=product_id)


@transaction.atomic
def review_set_visibility(*, review: Review, is_visible: bool, moderator_id: str, reason: str = "") -> Review:
    """Staff moderation: hide (or show again) a review; hidden reviews do not count."""
    review.is_visible = is_visible
    review.moderated_by = moderator_id
    review.moderated_at = timezone.now()
    review.moderation_reason = reason
    review.save(
        update_fields=["is_visible", "moderated_by", "moderated_at", "moderation_reason", "updated_at"]
    )
    product_rating_refresh(product_id=review.product_id)
    return review
