import uuid
from decimal import Decimal

import pytest

from catalog.reviews.models import Purchase, Review
from catalog.reviews.services import (
    purchase_record,
    review_create,
    review_delete,
    review_set_visibility,
    review_update,
)
from servicekit.envelope.errors import ApplicationError, Conflict
from tests.factories import ProductFactory, PurchaseFactory, ReviewFactory

pytestmark = pytest.mark.django_db


def buyer_of(product):
    return PurchaseFactory(product_id=product.pk).user_id


def rating_of(product):
    product.refresh_from_db()
    return product.rating_average, product.rating_count


def test_review_create_by_a_buyer_updates_the_rating_and_publishes_created(captured_events):
    product = ProductFactory()
    user_id = buyer_of(product)

    review = review_create(product=product, user_id=user_id, rating=4, title="Solid", body="Holds tea.")

    assert rating_of(product) == (Decimal("4.00"), 1)
    assert captured_events.assert_published("catalog.review.created").data == (
        {
            "review_id": str(review.pk),
            "product_id": str(product.pk),
            "user_id": user_id,
            "rating": 4,
            "title": "Solid",
        }
    )


def test_review_create_refuses_someone_who_did_not_buy_the_product(captured_events):
    product = ProductFactory()
    PurchaseFactory(product_id=ProductFactory().pk)  # bought something else

    with pytest.raises(ApplicationError) as error:
        review_create(product=product, user_id=str(uuid.uuid4()), rating=5, title="Great")

    assert (error.value.code, error.value.status_code) == ("review_not_allowed", 403)
    assert not Review.objects.exists()
    assert rating_of(product) == (None, 0)
    captured_events.assert_nothing_published()


def test_review_create_allows_one_review_per_user_and_product(captured_events):
    product = ProductFactory()
    user_id = buyer_of(product)
    review_create(product=product, user_id=user_id, rating=5, title="Great")

    with pytest.raises(Conflict) as error:
        review_create(product=product, user_id=user_id, rating=1, title="Changed my mind")

    assert error.value.code == "review_exists"
    assert Review.objects.count() == 1
    assert rating_of(product) == (Decimal("5.00"), 1)
    assert len(captured_events.of_type("catalog.review.created")) == 1


def test_rating_follows_updates_deletes_and_moderation():
    product = ProductFactory()
    reviews = [
        review_create(product=product, user_id=buyer_of(product), rating=rating, title="t")
        for rating in (5, 4, 1)
    ]
    assert rating_of(product) == (Decimal("3.33"), 3)

    review_update(review=reviews[2], data={"rating": 2})
    assert rating_of(product) == (Decimal("3.67"), 3)

    review_set_visibility(review=reviews[0], is_visible=False, moderator_id="staff-1", reason="spam")
    assert rating_of(product) == (Decimal("3.00"), 2)

    review_set_visibility(review=reviews[0], is_visible=True, moderator_id="staff-1")
    review_delete(review=reviews[1])
    assert rating_of(product) == (Decimal("3.50"), 2)

    review_delete(review=reviews[0])
    review_delete(review=reviews[2])
    assert rating_of(product) == (None, 0)


def test_hiding_records_the_moderator():
    review = ReviewFactory()

    review_set_visibility(review=review, is_visible=False, moderator_id="staff-1", reason="off-topic")

    review.refresh_from_db()
    assert (review.is_visible, review.moderated_by, review.moderation_reason) == (
        False,
        "staff-1",
        "off-topic",
    )
    assert review.moderated_at is not None


def test_purchase_record_is_idempotent():
    order_id, user_id = uuid.uuid4(), str(uuid.uuid4())
    products = [uuid.uuid4(), uuid.uuid4()]

    purchase_record(user_id=user_id, order_id=order_id, product_ids=products)
    purchase_record(user_id=user_id, order_id=order_id, product_ids=products)

    assert Purchase.objects.count() == 2
