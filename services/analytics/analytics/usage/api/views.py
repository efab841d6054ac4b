"""Daily usage per user: everyone's (staff) and the caller's own, as pages or CSV."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from analytics.apibase import CSV_RESPONSE, ExportApi, csv_response, with_from_field
from analytics.usage.rules import ACTIVITY_COUNTERS
from analytics.usage.selectors import UsageDay, usage_days
from servicekit.auth.permissions import IsStaff
from servicekit.envelope.pagination import paginated_response
from servicekit.params import query_filters

COLUMNS = ("user_id", "day", "api_requests", *ACTIVITY_COUNTERS, "revenue")


class DayRangeSerializer(serializers.Serializer):
    """``from`` and ``to``: days (YYYY-MM-DD, UTC), both inclusive; either may be left out."""

    to = serializers.DateField(required=False, help_text="The last day, inclusive.")

    def get_fields(self) -> dict[str, Any]:
        field = serializers.DateField(required=False, help_text="The first day, inclusive.")
        return with_from_field(super().get_fields(), field)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("from") and attrs.get("to") and attrs["from"] > attrs["to"]:
            raise serializers.ValidationError({"to": ["Must not be before from."]})
        return attrs


class UsageFilterSerializer(DayRangeSerializer):
    user_id = serializers.UUIDField(required=False)


class UsageDayOutputSerializer(serializers.Serializer):
    user_id = serializers.UUIDField()
    day = serializers.DateField()
    api_requests = serializers.IntegerField()
    messages_sent = serializers.IntegerField()
    media_sent = serializers.IntegerField()
    orders_placed = serializers.IntegerField()
    builds_published = serializers.IntegerField()
    revenue = serializers.DictField(
        child=serializers.DecimalField(max_digits=20, decimal_places=4),
        help_text="Currency → amount paid that day, net of refunds.",
    )


def usage_of(*, user_id: Any, filters: dict[str, Any]) -> list[UsageDay]:
    return usage_days(user_id=user_id, since=filters.get("from"), until=filters.get("to"))


def own_user_id(request: Request) -> uuid.UUID | None:
    """The caller's user id; a principal that is no user (a service) has no usage."""
    try:
        return uuid.UUID(str(request.user.id))
    except ValueError:
        return None


def own_usage(request: Request, filters: dict[str, Any]) -> list[UsageDay]:
    user_id = own_user_id(request)
    return [] if user_id is None else usage_of(user_id=user_id, filters=filters)


def csv_rows(days: list[UsageDay]) -> Iterator[dict[str, Any]]:
    for day in days:
        revenue = "; ".join(f"{amount} {currency}" for currency, amount in day.revenue.items())
        yield {**day.__dict__, "revenue": revenue}


class UsageStatListApi(APIView):
    """Daily usage of every user (staff), by day then user."""

    api_key_scope = "analytics:read"

    permission_classes = [IsStaff]
    FilterSerializer = UsageFilterSerializer
    OutputSerializer = UsageDayOutputSerializer

    @extend_schema(parameters=[FilterSerializer], responses=OutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        filters = query_filters(self.FilterSerializer, request)
        days = usage_of(user_id=filters.get("user_id"), filters=filters)
        return paginated_response(
            queryset=days, serializer_class=self.OutputSerializer, request=request, view=self
        )


class UsageStatExportApi(ExportApi):
    """Daily usage of every user (staff) as CSV; revenue as ``10.0000 USD; 2.5000 EUR``."""

    api_key_scope = "analytics:read"

    permission_classes = [IsStaff]
    FilterSerializer = UsageFilterSerializer

    @extend_schema(parameters=[FilterSerializer], responses=CSV_RESPONSE)
    def get(self, request: Request):
        filters = query_filters(self.FilterSerializer, request)
        days = usage_of(user_id=filters.get("user_id"), filters=filters)
        return csv_response(csv_rows(days), COLUMNS, filename="usage-stats")


class MyUsageApi(APIView):
    """The caller's own daily usage, by day."""

    api_key_scope = "analytics:read"

    permission_classes = [IsAuthenticated]
    FilterSerializer = DayRangeSerializer
    OutputSerializer = UsageDayOutputSerializer

    @extend_schema(parameters=[FilterSerializer], responses=OutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        filters = query_filters(self.FilterSerializer, request)
        return paginated_response(
            queryset=own_usage(request, filters),
            serializer_class=self.OutputSerializer,
            request=request,
            view=self,
        )


class MyUsageExportApi(ExportApi):
    """The caller's own daily usage as CSV."""

    api_key_scope = "analytics:read"

    permission_classes = [IsAuthenticated]
    FilterSerializer = DayRangeSerializer

    @extend_schema(parameters=[FilterSerializer], responses=CSV_RESPONSE)
    def get(self, request: Request):
        filters = query_filters(self.FilterSerializer, request)
        return csv_response(csv_rows(own_usage(request, filters)), COLUMNS, filename="my-usage")
