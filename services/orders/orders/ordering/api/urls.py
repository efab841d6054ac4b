"""Routes under /api/v1/orders/ (orders/urls.py)."""

from django.urls import path

from orders.ordering.api.views import (
    OrderCancelApi,
    OrderCheckoutApi,
    OrderCompleteApi,
    OrderDetailApi,
    OrderListApi,
    OrderShipApi,
)
from servicekit.api import operations

urlpatterns = [
    path("", operations(get=OrderListApi, post=OrderCheckoutApi), name="ordering-order-list"),
    path("<uuid:order_id>/", OrderDetailApi.as_view(), name="ordering-order-detail"),
    path("<uuid:order_id>/cancel/", OrderCancelApi.as_view(), name="ordering-order-cancel"),
    path("<uuid:order_id>/ship/", OrderShipApi.as_view(), name="ordering-order-ship"),
    path("<uuid:order_id>/complete/", OrderCompleteApi.as_view(), name="ordering-order-complete"),
]
