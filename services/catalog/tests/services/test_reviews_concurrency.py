"""Reviews written at the same moment, on real connections."""

from decimal import ROUND_HALF_UP, Decimal

import pytest

from catalog.reviews.models import Review
from catalog.reviews.services import review_create, review_delete, review_set_visibility
from servicekit.envelope.errors import Conflict
from tests.concurrency import run_concurrently
from tests.factories import ProductFactory, PurchaseFactory

THREADS = 8


@pytest.mark.django_db(transaction=True)
def test_the_same_buyer_submitting_twice_at_once_gets_one_review():
    product = ProductFactory()
    user_id = PurchaseFactory(product_id=product.pk).user_id

    errors = run_concurrently(
        [lambda: review_create(product=product, user_id=user_id, rating=5, title="Great")] * THREADS
    )

    assert len(errors) == THREADS - 1
    assert all(isinstance(error, Conflict) and error.code == "review_exists" for error in errors), errors
    assert Review.objects.filter(product=product, user_id=user_id).count() == 1
    product.refresh_from_db()
    assert (product.rating_average, product.rating_count) == (Decimal("5.00"), 1)


@pytest.mark.django_db(transaction=True)
def test_the_average_stays_consistent_under_concurrent_reviews_and_moderation():
    product = ProductFactory()
    ratings = [1, 2, 3, 4, 5, 5, 4, 2]
    buyers = [PurchaseFactory(product_id=product.pk).user_id for _ in ratings]
    # Two existing reviews change at the same time: one is hidden, one deleted.
    hidden = review_create(
        product=product, user_id=PurchaseFactory(product_id=product.pk).user_id, rating=1, title="h"
    )
    removed = review_create(
        product=product, user_id=PurchaseFactory(product_id=product.pk).user_id, rating=5, title="r"
    )

    jobs = [
        lambda user_id=user_id, rating=rating: review_create(
            product=product, user_id=user_id, rating=rating, title="t"
        )
        for user_id, rating in zip(buyers, ratings, strict=True)
    ]
    jobs.append(lambda: review_set_visibility(review=hidden, is_visible=False, moderator_id="staff-1"))
    jobs.append(lambda: review_delete(review=removed))
    assert run_concurrently(jobs) == []

    product.refresh_from_db()
    expected = (Decimal(sum(ratings)) / len(ratings)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    assert (product.rating_average, product.rating_count) == (expected, len(ratings))
