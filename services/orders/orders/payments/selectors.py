"""Payment reads."""

from __future__ import annotations

import uuid

from django.db.models import QuerySet

from orders.payments.models import Payment
from servicekit.auth import Principal


def payment_list(
    *,
    principal: Principal,
    order_id: uuid.UUID | None = None,
    status: str | None = None,
    refund_status: str | None = None,
) -> QuerySet[Payment]:
    """Newest first. Customers see their own payments; staff see all."""
    payments = Payment.objects.select_related("refund")
    if not principal.is_staff:
        payments = payments.filter(user_id=principal.id)
    if order_id is not None:
        payments = payments.filter(order_id=order_id)
    if status:
        payments = payments.filter(status=status)
    if refund_status:
        payments = payments.filter(refund__status=refund_status)
    return payments.order_by("-created_at", "-id")


def payment_get(*, payment_id: uuid.UUID) -> Payment | None:
    return Payment.objects.select_related("refund").filter(id=payment_id).first()


def payment_get_by_provider_id(*, provider: str, provider_payment_id: str) -> Payment | None:
    """The payment a provider names by its own id (the 3-D Secure page's URL carries it)."""
    if not provider_payment_id:
        return None
    return (
        Payment.objects.select_related("order")
        .filter(provider=provider, provider_payment_id=provider_payment_id)
        .first()
    )
