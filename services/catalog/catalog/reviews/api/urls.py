from django.urls import path

from catalog.api import operations
from catalog.reviews.api.views import (
    ProductReviewListApi,
    ReviewCreateApi,
    ReviewDeleteApi,
    ReviewHideApi,
    ReviewUnhideApi,
    ReviewUpdateApi,
)

urlpatterns = [
    path(
        "products/<uuid:product_id>/reviews/",
        operations(get=ProductReviewListApi, post=ReviewCreateApi),
        name="product-reviews",
    ),
    path(
        "reviews/<uuid:review_id>/",
        operations(patch=ReviewUpdateApi, delete=ReviewDeleteApi),
        name="review-detail",
    ),
    path("reviews/<uuid:review_id>/hide/", ReviewHideApi.as_view(), name="review-hide"),
    path("reviews/<uuid:review_id>/unhide/", ReviewUnhideApi.as_view(), name="review-unhide"),
]
