"""Routes under /api/v1/analytics/usage-stats/ and /api/v1/analytics/me/usage/ (analytics/urls.py)."""

from django.urls import path

from analytics.usage.api.views import MyUsageApi, MyUsageExportApi, UsageStatExportApi, UsageStatListApi

usage_stats_urlpatterns = [
    path("", UsageStatListApi.as_view(), name="usage-usage-stat-list"),
    path("export/", UsageStatExportApi.as_view(), name="usage-usage-stat-export"),
]

my_usage_urlpatterns = [
    path("", MyUsageApi.as_view(), name="usage-my-usage"),
    path("export/", MyUsageExportApi.as_view(), name="usage-my-usage-export"),
]
