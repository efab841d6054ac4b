from django.urls import path

from catalog.api import operations
from catalog.categories.api.views import (
    CategoryCreateApi,
    CategoryDeleteApi,
    CategoryDetailApi,
    CategoryListApi,
    CategoryTreeApi,
    CategoryUpdateApi,
)

urlpatterns = [
    path("categories/", operations(get=CategoryListApi, post=CategoryCreateApi), name="category-list"),
    path("categories/tree/", CategoryTreeApi.as_view(), name="category-tree"),
    path(
        "categories/<uuid:category_id>/",
        operations(get=CategoryDetailApi, patch=CategoryUpdateApi, delete=CategoryDeleteApi),
        name="category-detail",
    ),
]
