from django.urls import path

from catalog.api import operations
from catalog.inventory.api.views import (
    StockAdjustmentCreateApi,
    StockAdjustmentListApi,
    StockReservationDetailApi,
)

urlpatterns = [
    path(
        "products/<uuid:product_id>/stock-adjustments/",
        operations(get=StockAdjustmentListApi, post=StockAdjustmentCreateApi),
        name="stock-adjustments",
    ),
    path("reservations/<uuid:order_id>/", StockReservationDetailApi.as_view(), name="stock-reservation"),
]
