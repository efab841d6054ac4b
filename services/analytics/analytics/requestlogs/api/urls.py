"""Routes under /api/v1/analytics/api-logs/ (analytics/urls.py)."""

from django.urls import path

from analytics.requestlogs.api.views import RequestLogExportApi, RequestLogListApi

urlpatterns = [
    path("", RequestLogListApi.as_view(), name="requestlogs-api-log-list"),
    path("export/", RequestLogExportApi.as_view(), name="requestlogs-api-log-export"),
]
