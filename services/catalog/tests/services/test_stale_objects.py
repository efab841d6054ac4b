"""A row deleted between the view's read and the service call is a NotFound, never a 500.

Each test reads an instance, deletes its row behind its back (as a concurrent request would),
then calls the service with the stale instance.
"""

import uuid
from decimal import Decimal

import pytest

from catalog.categories.models import Category
from catalog.categories.services import category_update
from catalog.inventory.models import StockAdjustment
from catalog.inventory.services import stock_adjust
from catalog.products.models import Product, ProductImage
from catalog.products.services import (
    category_delete,
    product_delete,
    product_image_add,
    product_image_delete,
    product_update,
)
from catalog.reviews.models import Review
from catalog.reviews.services import review_create, review_delete, review_set_visibility, review_update
from servicekit.envelope.errors import NotFound
from tests.factories import (
    CategoryFactory,
    ProductFactory,
    ProductImageFactory,
    PurchaseFactory,
    ReviewFactory,
)

pytestmark = pytest.mark.django_db


def deleted(instance):
    """``instance`` after its row was deleted by someone else."""
    type(instance).objects.filter(pk=instance.pk).delete()
    return instance


@pytest.mark.parametrize(
    "call",
    [
        lambda review: review_update(review=review, data={"title": "Edited"}),
        lambda review: review_update(review=review, data={"rating": 1}),
        lambda review: review_set_visibility(review=review, is_visible=False, moderator_id="staff-1"),
        lambda review: review_delete(review=review),
    ],
    ids=["update-text", "update-rating", "hide", "delete"],
)
def test_review_services_on_a_deleted_review(call, captured_events):
    review = deleted(ReviewFactory())

    with pytest.raises(NotFound):
        call(review)

    assert not Review.objects.exists()
    captured_events.assert_nothing_published()


def test_review_services_when_the_product_was_deleted():
    review = ReviewFactory()
    Product.objects.filter(pk=review.product_id).delete()  # cascades to the review

    with pytest.raises(NotFound):
        review_update(review=review, data={"title": "Edited"})


def test_review_create_for_a_deleted_product(captured_events):
    product = ProductFactory()
    user_id = PurchaseFactory(product_id=product.pk).user_id
    deleted(product)

    with pytest.raises(NotFound):
        review_create(product=product, user_id=user_id, rating=5, title="Great")

    captured_events.assert_nothing_published()


@pytest.mark.parametrize(
    "call",
    [
        lambda product: product_update(product=product, data={"name": "Renamed", "price": Decimal("3.00")}),
        lambda product: product_delete(product=product),
        lambda product: product_image_add(product=product, url="https://cdn.example.com/a.jpg"),
        lambda product: stock_adjust(product=product, delta=3, reason="restock", actor_id="staff-1"),
    ],
    ids=["update", "delete", "image-add", "stock-adjust"],
)
def test_product_services_on_a_deleted_product(call, captured_events):
    product = deleted(ProductFactory())

    with pytest.raises(NotFound):
        call(product)

    assert not Product.objects.exists()
    assert not ProductImage.objects.exists() and not StockAdjustment.objects.exists()
    captured_events.assert_nothing_published()


def test_deleting_an_image_deleted_meanwhile():
    image = deleted(ProductImageFactory())

    with pytest.raises(NotFound):
        product_image_delete(image=image)


@pytest.mark.parametrize(
    "call",
    [
        lambda category: category_update(category=category, data={"name": "Renamed"}),
        lambda category: category_update(category=category, data={"parent": None}),
        lambda category: category_delete(category=category),
        lambda category: category_delete(category=category, reassign_to_id=uuid.uuid4()),
    ],
    ids=["rename", "move", "delete", "delete-reassign"],
)
def test_category_services_on_a_deleted_category(call):
    category = deleted(CategoryFactory())

    with pytest.raises(NotFound):
        call(category)

    assert not Category.objects.exists()
