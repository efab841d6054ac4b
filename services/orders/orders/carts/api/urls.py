from django.urls import path

from orders.carts.api.views import CartApi, CartItemAddApi, CartItemApi

app_name = "carts"

urlpatterns = [
    path("", CartApi.as_view(), name="cart"),
    path("items/", CartItemAddApi.as_view(), name="item-add"),
    path("items/<uuid:product_id>/", CartItemApi.as_view(), name="item"),
]
