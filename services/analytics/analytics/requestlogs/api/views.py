"""The API request logs (staff): a page of them, or all of them as CSV."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from analytics.apibase import CSV_RESPONSE, ExportApi, TimeRangeSerializer, csv_response
from analytics.metrics.csvstream import queryset_rows
from analytics.requestlogs.selectors import request_logs_list
from analytics.requestlogs.services import COLUMNS as STORED_COLUMNS
from servicekit.auth.permissions import IsStaff
from servicekit.envelope.pagination import paginated_response
from servicekit.params import query_filters

COLUMNS = ("id", *STORED_COLUMNS)


class RequestLogFilterSerializer(TimeRangeSerializer):
    user_id = serializers.UUIDField(required=False)
    service = serializers.CharField(required=False, max_length=64)
    route = serializers.CharField(required=False, max_length=500, help_text="The URL pattern, exactly.")
    method = serializers.CharField(required=False, max_length=16)
    status = serializers.IntegerField(required=False, min_value=100, max_value=599)
    status_class = serializers.IntegerField(
        required=False, min_value=1, max_value=5, help_text="5 for every 5xx, 4 for every 4xx…"
    )


def request_logs_filtered(filters: dict[str, Any]):
    return request_logs_list(
        user_id=filters.get("user_id"),
        service=filters.get("service"),
        route=filters.get("route"),
        method=filters.get("method"),
        status=filters.get("status"),
        status_class=filters.get("status_class"),
        since=filters.get("from"),
        until=filters.get("to"),
    )


class RequestLogListApi(APIView):
    """Requests through the platform, newest first, as the service that answered saw them."""

    api_key_scope = "analytics:read"

    permission_classes = [IsStaff]
    FilterSerializer = RequestLogFilterSerializer

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "RequestLog"

        id = serializers.IntegerField()
        occurred_at = serializers.DateTimeField()
        service = serializers.CharField()
        method = serializers.CharField()
        route = serializers.CharField()
        status = serializers.IntegerField()
        error_code = serializers.CharField()
        duration_ms = serializers.FloatField()
        user_id = serializers.UUIDField(allow_null=True)
        client_ip = serializers.IPAddressField(allow_null=True)
        request_id = serializers.CharField()

    @extend_schema(
        parameters=[FilterSerializer],
        responses=OutputSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        filters = query_filters(self.FilterSerializer, request)
        return paginated_response(
            queryset=request_logs_filtered(filters),
            serializer_class=self.OutputSerializer,
            request=request,
            view=self,
        )


class RequestLogExportApi(ExportApi):
    """The request logs the same filters select, as CSV (every row, streamed)."""

    api_key_scope = "analytics:read"

    permission_classes = [IsStaff]
    FilterSerializer = RequestLogFilterSerializer

    @extend_schema(parameters=[FilterSerializer], responses=CSV_RESPONSE)
    def get(self, request: Request):
        filters = query_filters(self.FilterSerializer, request)
        rows = queryset_rows(request_logs_filtered(filters), COLUMNS)
        return csv_response(rows, COLUMNS, filename="api-logs")
