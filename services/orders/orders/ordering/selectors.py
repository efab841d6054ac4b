"""Order reads: a customer's history, every order for staff, one order with its lines."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from orders.ordering.models import Order
from servicekit.auth import Principal


def order_list(
    *,
    principal: Principal,
    statuses: Iterable[str] = (),
    placed_from: date | None = None,
    placed_to: date | None = None,
    user_id: uuid.UUID | None = None,
) -> QuerySet[Order]:
    """Newest first. Customers see their own orders; staff see everyone's (``user_id`` narrows)."""
    orders = Order.objects.prefetch_related("lines")
    if principal.is_staff:
        if user_id is not None:
            orders = orders.filter(user_id=user_id)
    else:
        orders = orders.filter(user_id=principal.id)
    statuses = list(statuses)
    if statuses:
        orders = orders.filter(status__in=statuses)
    if placed_from is not None:
        orders = orders.filter(placed_at__gte=_start_of(placed_from))
    if placed_to is not None and placed_to < date.max:  # up to 9999-12-31 is everything
        orders = orders.filter(placed_at__lt=_start_of(placed_to + timedelta(days=1)))
    return orders.order_by("-placed_at", "-id")


def order_get(*, order_id: uuid.UUID) -> Order | None:
    """One order with its lines and history; permission checks are the caller's."""
    return Order.objects.prefetch_related("lines", "status_changes").filter(id=order_id).first()


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())
