"""What analytics' API classes share: the time range every table is filtered by, and CSV
export (every table has one, streamed)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import timedelta
from typing import Any

from django.http import StreamingHttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from rest_framework import serializers
from rest_framework.views import APIView

from analytics.metrics.csvstream import csv_lines
from analytics.metrics.period import GRANULARITIES, Period
from servicekit.api import FileAnswerNegotiation
from servicekit.envelope import ApplicationError

DEFAULT_RANGE = timedelta(days=30)  # a metric asked for without `from`: the last 30 days
CSV_RESPONSE = {(200, "text/csv"): OpenApiTypes.STR}
PERIOD_FIELDS = {"start": "from", "end": "to"}  # Period's names → the query's


def with_from_field(fields: dict[str, serializers.Field], field: serializers.Field) -> dict[str, Any]:
    """``from`` (a Python keyword, so no class attribute) first, then the other fields."""
    return {"from": field, **fields}


class TimeRangeSerializer(serializers.Serializer):
    """``from`` (inclusive) and ``to`` (exclusive), ISO 8601 dates or times (UTC when no zone
    is given); either may be left out."""

    to = serializers.DateTimeField(required=False, help_text="Exclusive; ISO 8601.")

    def get_fields(self) -> dict[str, Any]:
        field = serializers.DateTimeField(required=False, help_text="Inclusive; ISO 8601.")
        return with_from_field(super().get_fields(), field)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("from") and attrs.get("to") and attrs["from"] >= attrs["to"]:
            raise serializers.ValidationError({"to": ["Must be after from."]})
        return attrs


class PeriodSerializer(serializers.Serializer):
    """A metric's period: ``from`` (default: 30 days before ``to``), ``to`` (default: now),
    ``granularity`` (``hour``, ``day`` or ``week``; default ``day``). Validated as a
    :class:`Period` (``validated_data["period"]``)."""

    to = serializers.DateTimeField(required=False, help_text="Exclusive; ISO 8601; default now.")
    granularity = serializers.ChoiceField(choices=list(GRANULARITIES), default="day")

    def get_fields(self) -> dict[str, Any]:
        field = serializers.DateTimeField(
            required=False, help_text="Inclusive; ISO 8601; default 30 days before `to`."
        )
        return with_from_field(super().get_fields(), field)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        end = attrs.pop("to", None) or timezone.now()
        start = attrs.pop("from", None) or end - DEFAULT_RANGE
        try:
            attrs["period"] = Period(start, end, attrs.pop("granularity"))
        except ApplicationError as exc:  # the same complaint, about the query's names
            raise serializers.ValidationError(
                {PERIOD_FIELDS.get(name, name): problems for name, problems in exc.details.items()}
            ) from exc
        return attrs


class ExportApi(APIView):
    """Base of the ``…/export/`` operations: a table as CSV, streamed row by row."""

    content_negotiation_class = FileAnswerNegotiation
    pagination_class = None


def csv_response(
    rows: Iterable[Mapping[str, Any]], columns: Sequence[str], *, filename: str
) -> StreamingHttpResponse:
    """``rows`` as a CSV download, produced as the client reads it (never built in memory)."""
    response = StreamingHttpResponse(csv_lines(rows, columns), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response
