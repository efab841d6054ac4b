"""Routes under /api/v1/catalog/reservations/ (catalog/urls.py)."""

from django.urls import path

from catalog.inventory.api.views import StockReservationDetailApi

urlpatterns = [
    path("<uuid:order_id>/", StockReservationDetailApi.as_view(), name="inventory-reservation-detail"),
]
