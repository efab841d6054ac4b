"""Routes under /api/v1/cart/ (orders/urls.py)."""

from django.urls import path

from orders.carts.api.views import (
    CartClearApi,
    CartDetailApi,
    CartItemAddApi,
    CartItemRemoveApi,
    CartItemUpdateApi,
)
from servicekit.api import operations

urlpatterns = [
    path("", operations(get=CartDetailApi, delete=CartClearApi), name="carts-cart"),
    path("items/", CartItemAddApi.as_view(), name="carts-cart-item-list"),
    path(
        "items/<uuid:product_id>/",
        operations(patch=CartItemUpdateApi, delete=CartItemRemoveApi),
        name="carts-cart-item-detail",
    ),
]
