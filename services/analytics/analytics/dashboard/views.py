"""The dashboard's page and the JSON its charts are drawn from, both for signed-in staff."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET
from rest_framework import serializers

from analytics.apibase import PeriodSerializer
from analytics.dashboard.selectors import dashboard_charts
from analytics.dashboard.session import DASHBOARD
from analytics.metrics.period import GRANULARITIES
from servicekit.envelope.meta import build_meta
from servicekit.envelope.views import error_response
from servicekit.websession import signed_in

DEFAULT_DAYS = 30  # the range shown first: the last 30 days, today included


class DayRangeSerializer(PeriodSerializer):
    """The date-range picker's period: whole UTC days from ``from`` to ``to``, both included
    (default: the last 30 days), by ``granularity``; the metrics API's rules otherwise."""

    to = serializers.DateField(required=False, help_text="The last day shown (UTC); default today.")

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        fields["from"] = serializers.DateField(required=False, help_text="The first day shown (UTC).")
        return fields

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        last = attrs.pop("to", None) or timezone.now().date()
        first = attrs.pop("from", None) or last - timedelta(days=DEFAULT_DAYS - 1)
        return super().validate(
            {**attrs, "from": _midnight(first), "to": _midnight(last + timedelta(days=1))}
        )


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


@require_GET
@signed_in(DASHBOARD)
def dashboard(request: HttpRequest) -> HttpResponse:
    """The page: the range picker (its values from the query, or the defaults) and empty
    charts, which its script fills from ``data/``."""
    today = timezone.now().date()
    picked = {
        "from": request.GET.get("from") or (today - timedelta(days=DEFAULT_DAYS - 1)).isoformat(),
        "to": request.GET.get("to") or today.isoformat(),
        "granularity": request.GET.get("granularity") or "day",
    }
    return render(
        request, "dashboard/dashboard.html", {"picked": picked, "granularities": list(GRANULARITIES)}
    )


@require_GET
@signed_in(DASHBOARD)
def dashboard_data(request: HttpRequest) -> HttpResponse:
    """Every chart's series for ``?from=&to=&granularity=`` (dates, both included); a bad
    range is a 400 ``validation_error`` naming the parameter."""
    present = {key: value for key, value in request.GET.dict().items() if value.strip()}
    serializer = DayRangeSerializer(data=present)
    if not serializer.is_valid():
        return error_response(400, "validation_error", "The period is invalid.", serializer.errors)
    charts = dashboard_charts(period=serializer.validated_data["period"])
    return JsonResponse({"data": charts, "meta": build_meta()})
