"""Routes under /api/v1/catalog/categories/ (catalog/urls.py)."""

from django.urls import path

from catalog.categories.api.views import (
    CategoryCreateApi,
    CategoryDeleteApi,
    CategoryDetailApi,
    CategoryListApi,
    CategoryTreeApi,
    CategoryUpdateApi,
)
from servicekit.api import operations

urlpatterns = [
    path("", operations(get=CategoryListApi, post=CategoryCreateApi), name="categories-category-list"),
    path("tree/", CategoryTreeApi.as_view(), name="categories-category-tree"),
    path(
        "<uuid:category_id>/",
        operations(get=CategoryDetailApi, patch=CategoryUpdateApi, delete=CategoryDeleteApi),
        name="categories-category-detail",
    ),
]
