"""Reads of reviews and purchase records."""

from __future__ import annotations

import uuid

from django.db.models import QuerySet

from catalog.products.models import Product
from catalog.reviews.models import Purchase, Review
from servicekit.auth.principal import Principal
from servicekit.envelope.errors import NotFound


def review_list_for_product(*, product: Product, principal: Principal | None) -> QuerySet[Review]:
    """Visible reviews; staff also see hidden ones, and each author sees their own."""
    reviews = Review.objects.filter(product=product)
    if principal is not None and principal.is_staff:
        return reviews
    if principal is not None:
        return reviews.filter(is_visible=True) | reviews.filter(user_id=principal.id)
    return reviews.filter(is_visible=True)


def review_get_own(*, review_id: uuid.UUID | str, principal: Principal) -> Review:
    """The principal's own review; anyone else's (staff included) is a 404."""
    try:
        return Review.objects.get(pk=review_id, user_id=principal.id)
    except (Review.DoesNotExist, ValueError):
        raise NotFound("Review not found.") from None


def review_get(*, review_id: uuid.UUID | str) -> Review:
    try:
        return Review.objects.get(pk=review_id)
    except (Review.DoesNotExist, ValueError):
        raise NotFound("Review not found.") from None


def purchase_exists(*, user_id: str, product_id: uuid.UUID) -> bool:
    return Purchase.objects.filter(user_id=user_id, product_id=product_id).exists()
