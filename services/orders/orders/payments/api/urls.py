from django.urls import path

from orders.payments.api.views import (
    PaymentCollectionApi,
    PaymentDetailApi,
    PaymentRefundRetryApi,
    PaymentWebhookApi,
)

app_name = "payments"

urlpatterns = [
    path("", PaymentCollectionApi.as_view(), name="collection"),
    path("<uuid:payment_id>/", PaymentDetailApi.as_view(), name="detail"),
    path("<uuid:payment_id>/refund/retry/", PaymentRefundRetryApi.as_view(), name="refund-retry"),
    path("webhooks/<slug:provider>/", PaymentWebhookApi.as_view(), name="webhook"),
]
