"""The ``data`` of every event the payments domain publishes (schemas in
contracts/events/orders.payment.*.json)."""

from __future__ import annotations

from typing import Any

from orders.ordering.models import Order
from orders.payments.models import Payment, Refund
from servicekit.money import format_amount


def payment_failed(order: Order, payment: Payment, *, attempt: int, attempts_left: int) -> dict[str, Any]:
    return {
        "order_id": str(order.id),
        "user_id": str(order.user_id),
        "payment_id": str(payment.id),
        "amount": format_amount(payment.amount, payment.currency),
        "currency": payment.currency,
        "failure_code": payment.failure_code,
        "failure_message": payment.failure_message,
        "attempt": attempt,
        "attempts_left": attempts_left,
    }


def payment_refunded(payment: Payment, refund: Refund) -> dict[str, Any]:
    return {
        "order_id": str(payment.order_id),
        "user_id": str(payment.user_id),
        "payment_id": str(payment.id),
        "refund_id": str(refund.id),
        "amount": format_amount(refund.amount, refund.currency),
        "currency": refund.currency,
        "reason": refund.reason,
        "refunded_at": refund.succeeded_at.isoformat(),
    }
