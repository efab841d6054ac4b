"""Routes under /api/v1/payments/ (orders/urls.py)."""

from django.urls import path

from orders.payments.api.views import (
    PaymentCreateApi,
    PaymentDetailApi,
    PaymentListApi,
    PaymentRefundRetryApi,
    PaymentWebhookApi,
)
from servicekit.api import operations

urlpatterns = [
    path("", operations(get=PaymentListApi, post=PaymentCreateApi), name="payments-payment-list"),
    path("<uuid:payment_id>/", PaymentDetailApi.as_view(), name="payments-payment-detail"),
    path(
        "<uuid:payment_id>/refund/retry/",
        PaymentRefundRetryApi.as_view(),
        name="payments-payment-refund-retry",
    ),
    path("webhooks/<slug:provider>/", PaymentWebhookApi.as_view(), name="payments-webhook"),
]
