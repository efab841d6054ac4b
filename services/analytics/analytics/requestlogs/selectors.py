"""Reads of the request logs."""

from __future__ import annotations

import uuid
from datetime import datetime

from django.db.models import QuerySet

from analytics.events.selectors import given
from analytics.requestlogs.models import RequestLog


def request_logs_list(
    *,
    user_id: uuid.UUID | str | None = None,
    service: str | None = None,
    route: str | None = None,
    method: str | None = None,
    status: int | None = None,
    status_class: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[RequestLog]:
    """Request logs, newest first. ``status_class`` 5 means 500-599; ``since`` inclusive,
    ``until`` exclusive."""
    lookups = {
        "user_id": user_id,
        "service": service,
        "route": route,
        "method": method and method.upper(),
        "status": status,
        "status__gte": status_class and status_class * 100,
        "status__lt": status_class and (status_class + 1) * 100,
        "occurred_at__gte": since,
        "occurred_at__lt": until,
    }
    return RequestLog.objects.filter(**given(lookups)).order_by("-occurred_at", "-id")
