from django.urls import path

from orders.ordering.api.views import (
    OrderCancelApi,
    OrderCollectionApi,
    OrderCompleteApi,
    OrderDetailApi,
    OrderShipApi,
)

app_name = "ordering"

urlpatterns = [
    path("", OrderCollectionApi.as_view(), name="collection"),
    path("<uuid:order_id>/", OrderDetailApi.as_view(), name="detail"),
    path("<uuid:order_id>/cancel/", OrderCancelApi.as_view(), name="cancel"),
    path("<uuid:order_id>/ship/", OrderShipApi.as_view(), name="ship"),
    path("<uuid:order_id>/complete/", OrderCompleteApi.as_view(), name="complete"),
]
