"""Platform metrics (staff): one operation per metric, each also exported as CSV.

Every metric takes ``from``, ``to`` and ``granularity`` (analytics.apibase.PeriodSerializer) and
answers one row per bucket, empty buckets included; ``…/export/`` sends the same rows as CSV.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from analytics.apibase import CSV_RESPONSE, ExportApi, PeriodSerializer, csv_response
from analytics.metrics import selectors
from analytics.metrics.errors import MetricsErrorCode
from servicekit.auth.permissions import IsStaff
from servicekit.openapi import error_codes
from servicekit.params import query_filters

QUERY_TIMEOUT = {503: [MetricsErrorCode.QUERY_TIMEOUT]}


def rate_field() -> serializers.FloatField:
    return serializers.FloatField(allow_null=True, help_text="A fraction (0.25); null with nothing to rate.")


class BucketSerializer(serializers.Serializer):
    bucket = serializers.DateTimeField(help_text="The bucket's start (UTC).")


class MetricApi(APIView):
    """Base of a metric: its filters, its rows, its columns (for the CSV export)."""

    permission_classes = [IsStaff]
    pagination_class = None  # one row per bucket, at most 5,000 buckets
    FilterSerializer: ClassVar[type[serializers.Serializer]] = PeriodSerializer
    OutputSerializer: ClassVar[type[serializers.Serializer]]
    selector: ClassVar[Callable[..., list[dict[str, Any]]]]

    @classmethod
    def rows(cls, request: Request) -> list[dict[str, Any]]:
        return cls.selector(**query_filters(cls.FilterSerializer, request))

    @classmethod
    def columns(cls) -> list[str]:
        return list(cls.OutputSerializer().fields)

    def answer(self, request: Request) -> Response:
        return Response(self.OutputSerializer(self.rows(request), many=True).data)


class MetricExportApi(ExportApi):
    """Base of a metric's export: the metric's rows as CSV."""

    permission_classes = [IsStaff]
    metric: ClassVar[type[MetricApi]]
    filename: ClassVar[str]

    def answer(self, request: Request):
        return csv_response(self.metric.rows(request), self.metric.columns(), filename=self.filename)


class SignupsApi(MetricApi):
    """Sign-ups (``identity.user.registered``) per bucket."""

    selector = staticmethod(selectors.signups)

    class OutputSerializer(BucketSerializer):
        class Meta:
            ref_name = "Signups"

        signups = serializers.IntegerField()

    @extend_schema(parameters=[PeriodSerializer], responses=OutputSerializer(many=True))
    @error_codes(QUERY_TIMEOUT)
    def get(self, request: Request) -> Response:
        return self.answer(request)


class OrdersApi(MetricApi):
    """Orders placed (``orders.order.placed``) per bucket."""

    selector = staticmethod(selectors.orders_placed)

    class OutputSerializer(BucketSerializer):
        class Meta:
            ref_name = "Orders"

        orders = serializers.IntegerField()

    @extend_schema(parameters=[PeriodSerializer], responses=OutputSerializer(many=True))
    @error_codes(QUERY_TIMEOUT)
    def get(self, request: Request) -> Response:
        return self.answer(request)


class RevenueFilterSerializer(PeriodSerializer):
    currency = serializers.RegexField(r"^[A-Z]{3}$", required=False, help_text="ISO 4217, e.g. USD.")


class RevenueApi(MetricApi):
    """Money paid net of refunds, per bucket and currency (each currency seen in the period)."""

    selector = staticmethod(selectors.revenue)
    FilterSerializer = RevenueFilterSerializer

    class OutputSerializer(BucketSerializer):
        class Meta:
            ref_name = "Revenue"

        currency = serializers.CharField()
        amount = serializers.DecimalField(max_digits=24, decimal_places=4)

    @extend_schema(parameters=[FilterSerializer], responses=OutputSerializer(many=True))
    @error_codes(QUERY_TIMEOUT)
    def get(self, request: Request) -> Response:
        return self.answer(request)


class CheckoutConversionApi(MetricApi):
    """Checkout conversion: of the orders placed in each bucket, how many were paid (by now)."""

    selector = staticmethod(selectors.checkout_conversion)

    class OutputSerializer(BucketSerializer):
        class Meta:
            ref_name = "CheckoutConversion"

        placed = serializers.IntegerField()
        paid = serializers.IntegerField()
        rate = rate_field()

    @extend_schema(parameters=[PeriodSerializer], responses=OutputSerializer(many=True))
    @error_codes(QUERY_TIMEOUT)
    def get(self, request: Request) -> Response:
        return self.answer(request)


class OrderRejectionRateApi(MetricApi):
    """Of the orders placed in each bucket, how many were rejected."""

    selector = staticmethod(selectors.order_rejection_rate)

    class OutputSerializer(BucketSerializer):
        class Meta:
            ref_name = "OrderRejectionRate"

        placed = serializers.IntegerField()
        rejected = serializers.IntegerField()
        rate = rate_field()

    @extend_schema(parameters=[PeriodSerializer], responses=OutputSerializer(many=True))
    @error_codes(QUERY_TIMEOUT)
    def get(self, request: Request) -> Response:
        return self.answer(request)


class BuildSuccessRateApi(MetricApi):
    """Builds published against builds failed, per bucket."""

    selector = staticmethod(selectors.build_success_rate)

    class OutputSerializer(BucketSerializer):
        class Meta:
            ref_name = "BuildSuccessRate"

        published = serializers.IntegerField()
        failed = serializers.IntegerField()
        rate = rate_field()

    @extend_schema(parameters=[PeriodSerializer], responses=OutputSerializer(many=True))
    @error_codes(QUERY_TIMEOUT)
    def get(self, request: Request) -> Response:
        return self.answer(request)


class MessageDeliveryRateApi(MetricApi):
    """Of the messages sent in each bucket, how many were delivered (or read)."""

    selector = staticmethod(selectors.message_delivery_rate)

    class OutputSerializer(BucketSerializer):
        class Meta:
            ref_name = "MessageDeliveryRate"

        sent = serializers.IntegerField()
        delivered = serializers.IntegerField()
        rate = rate_field()

    @extend_schema(parameters=[PeriodSerializer], responses=OutputSerializer(many=True))
    @error_codes(QUERY_TIMEOUT)
    def get(self, request: Request) -> Response:
        return self.answer(request)


class RequestStatsFilterSerializer(PeriodSerializer):
    service = serializers.CharField(required=False, max_length=64)
    route = serializers.CharField(required=False, max_length=500, help_text="The URL pattern, exactly.")
    method = serializers.CharField(required=False, max_length=16)
    user_id = serializers.UUIDField(required=False)
    per_bucket = serializers.BooleanField(
        required=False, default=True, help_text="false: one row per route for the whole period."
    )


class RequestStatsApi(MetricApi):
    """Latency (p50, p95; ms) and error rate (5xx) per service and route, per bucket (or for
    the whole period). Only routes that had requests appear."""

    selector = staticmethod(selectors.request_stats)
    FilterSerializer = RequestStatsFilterSerializer

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "RequestStats"

        bucket = serializers.DateTimeField(allow_null=True, help_text="Null with per_bucket=false.")
        service = serializers.CharField()
        route = serializers.CharField()
        requests = serializers.IntegerField()
        p50_ms = serializers.FloatField()
        p95_ms = serializers.FloatField()
        errors = serializers.IntegerField()
        error_rate = rate_field()

    @extend_schema(parameters=[FilterSerializer], responses=OutputSerializer(many=True))
    @error_codes(QUERY_TIMEOUT)
    def get(self, request: Request) -> Response:
        return self.answer(request)


def _export(metric: type[MetricApi], name: str, doc: str) -> type[MetricExportApi]:
    """The export operation of ``metric``: its filters, its rows as CSV."""

    @extend_schema(parameters=[metric.FilterSerializer], responses=CSV_RESPONSE)
    @error_codes(QUERY_TIMEOUT)
    def get(self: MetricExportApi, request: Request):
        return self.answer(request)

    class_name = f"{metric.__name__.removesuffix('Api')}ExportApi"
    get.__qualname__ = f"{class_name}.get"
    return type(
        class_name,
        (MetricExportApi,),
        {"__module__": __name__, "__doc__": doc, "metric": metric, "filename": name, "get": get},
    )


SignupsExportApi = _export(SignupsApi, "signups", "Sign-ups per bucket, as CSV.")
OrdersExportApi = _export(OrdersApi, "orders", "Orders placed per bucket, as CSV.")
RevenueExportApi = _export(RevenueApi, "revenue", "Revenue per bucket and currency, as CSV.")
CheckoutConversionExportApi = _export(CheckoutConversionApi, "checkout-conversion", "Conversion, as CSV.")
OrderRejectionRateExportApi = _export(OrderRejectionRateApi, "order-rejection-rate", "Rejections, as CSV.")
BuildSuccessRateExportApi = _export(BuildSuccessRateApi, "build-success-rate", "Build success, as CSV.")
MessageDeliveryRateExportApi = _export(MessageDeliveryRateApi, "message-delivery-rate", "Delivery, as CSV.")
RequestStatsExportApi = _export(RequestStatsApi, "requests", "Latency and errors per route, as CSV.")
