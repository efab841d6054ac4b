"""Routes under /api/v1/catalog/reviews/ (catalog/urls.py)."""

from django.urls import path

from catalog.reviews.api.views import ReviewDeleteApi, ReviewHideApi, ReviewUnhideApi, ReviewUpdateApi
from servicekit.api import operations

urlpatterns = [
    path(
        "<uuid:review_id>/",
        operations(patch=ReviewUpdateApi, delete=ReviewDeleteApi),
        name="reviews-review-detail",
    ),
    path("<uuid:review_id>/hide/", ReviewHideApi.as_view(), name="reviews-review-hide"),
    path("<uuid:review_id>/unhide/", ReviewUnhideApi.as_view(), name="reviews-review-unhide"),
]
