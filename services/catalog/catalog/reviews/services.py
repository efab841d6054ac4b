"""Writes to reviews; the product's rating average and count follow every change.

Lock order, everywhere: the product row, then the review row (the order in which deleting a
product cascades to its reviews), so a review change never deadlocks with a product delete.
A review or product deleted since the caller read it is a NotFound, never a stale save.
"""

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
from catalog.reviews import events
from catalog.reviews.errors import ReviewErrorCode
from catalog.reviews.models import Purchase, Review
from catalog.reviews.selectors import purchase_exists
from servicekit.envelope.errors import ApplicationError, Conflict, NotFound
from servicekit.events import publish

UPDATABLE_FIELDS = {"rating", "title", "body"}


def _lock_product(product_id: uuid.UUID) -> None:
    locked = Product.objects.select_for_update(of=("self",)).filter(pk=product_id).values_list("pk").first()
    if locked is None:
        raise NotFound("Product not found.")


def _locked_review(review: Review) -> Review:
    """The review's current row, locked after its product's (NotFound if either is gone)."""
    try:
        _lock_product(review.product_id)
    except NotFound:
        raise NotFound("Review not found.") from None
    locked = Review.objects.select_for_update().filter(pk=review.pk).first()
    if locked is None:
        raise NotFound("Review not found.")
    return locked


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
    """One review per user and product, by users who bought it.

    The product row is locked first: concurrent reviews of one product (the same user's
    double submit included) apply one after the other, and a product deleted meanwhile is a
    NotFound.
    """
    _lock_product(product.pk)
    if not purchase_exists(user_id=user_id, product_id=product.pk):
        raise ApplicationError(
            "Only customers who bought this product can review it.",
            code=ReviewErrorCode.NOT_A_BUYER,
            status_code=403,
        )
    if Review.objects.filter(product=product, user_id=user_id).exists():
        raise Conflict("You have already reviewed this product.", code=ReviewErrorCode.ALREADY_REVIEWED)
    try:
        with transaction.atomic():
            review = Review.objects.create(
                product=product, user_id=user_id, rating=rating, title=title, body=body
            )
    except IntegrityError:  # the same user, concurrently
        raise Conflict(
            "You have already reviewed this product.", code=ReviewErrorCode.ALREADY_REVIEWED
        ) from None
    product_rating_refresh(product_id=product.pk)
    publish("catalog.review.created", subject=str(review.id), data=events.review_created(review))
    return review


@transaction.atomic
def review_update(*, review: Review, data: dict[str, Any]) -> Review:
    unknown = set(data) - UPDATABLE_FIELDS
    if unknown:
        raise ValueError(f"not updatable: {sorted(unknown)}")
    review = _locked_review(review)
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
    review = _locked_review(review)
    product_id = review.product_id
    review.delete()
    product_rating_refresh(product_id=product_id)


@transaction.atomic
def review_set_visibility(*, review: Review, is_visible: bool, moderator_id: str, reason: str = "") -> Review:
    """Staff moderation: hide (or show again) a review; hidden reviews do not count."""
    review = _locked_review(review)
    review.is_visible = is_visible
    review.moderated_by = moderator_id[:64]
    review.moderated_at = timezone.now()
    review.moderation_reason = reason[:200]
    review.save(
        update_fields=["is_visible", "moderated_by", "moderated_at", "moderation_reason", "updated_at"]
    )
    product_rating_refresh(product_id=review.product_id)
    return review
