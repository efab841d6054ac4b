"""Routes under /api/v1/analytics/metrics/ (analytics/urls.py): each metric and its export."""

from django.urls import path

from analytics.metrics.api import views

METRICS = [
    ("signups", views.SignupsApi, views.SignupsExportApi),
    ("orders", views.OrdersApi, views.OrdersExportApi),
    ("revenue", views.RevenueApi, views.RevenueExportApi),
    ("checkout-conversion", views.CheckoutConversionApi, views.CheckoutConversionExportApi),
    ("order-rejection-rate", views.OrderRejectionRateApi, views.OrderRejectionRateExportApi),
    ("build-success-rate", views.BuildSuccessRateApi, views.BuildSuccessRateExportApi),
    ("message-delivery-rate", views.MessageDeliveryRateApi, views.MessageDeliveryRateExportApi),
    ("requests", views.RequestStatsApi, views.RequestStatsExportApi),
]

urlpatterns = [
    route
    for name, api, export_api in METRICS
    for route in (
        path(f"{name}/", api.as_view(), name=f"metrics-{name}"),
        path(f"{name}/export/", export_api.as_view(), name=f"metrics-{name}-export"),
    )
]
