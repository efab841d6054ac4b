"""Reads of the request logs."""

from __future__ import annotations

import uuid
from datetime import datetime

from django.db.models import QuerySet

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
    logs = RequestLog.objects.all()
    if user_id is not None:
        logs = logs.filter(user_id=user_id)
    if service is not None:
        logs = logs.filter(service=service)
    if route is not None:
        logs = logs.filter(route=route)
    if method is not None:
        logs = logs.filter(method=method.upper())
    if status is not None:
        logs = logs.filter(status=status)
    if status_class is not None:
        logs = logs.filter(status__gte=status_class * 100, status__lt=(status_class + 1) * 100)
    if since is not None:
        logs = logs.filter(occurred_at__gte=since)
    if until is not None:
        logs = logs.filter(occurred_at__lt=until)
    return logs.order_by("-occurred_at", "-id")
