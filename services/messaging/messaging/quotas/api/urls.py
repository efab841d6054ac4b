"""Routes under /api/v1/messaging/quotas/ (messaging/urls.py)."""

from django.urls import path

from messaging.quotas.api.views import QuotaDetailApi, QuotaMeApi, QuotaOverrideDeleteApi, QuotaOverrideSetApi
from servicekit.api import operations

urlpatterns = [
    path("me/", QuotaMeApi.as_view(), name="quotas-quota-me"),
    path(
        "<uuid:user_id>/",
        operations(get=QuotaDetailApi, put=QuotaOverrideSetApi, delete=QuotaOverrideDeleteApi),
        name="quotas-quota-detail",
    ),
]
