"""Refunds: giving back a payment's money (a cancelled paid order, a charge that came too late).

A refund is asked for by a Celery task after the transaction that records it commits; the
provider's answer (synchronous or by webhook) is applied once, whichever arrives first. When
the broker cannot take the task the refund stays pending and never asked (``asked_at`` empty),
and beat's ``refunds_dispatch_stale`` sends its task again. Kept
apart from the charging code (``services``) because ordering uses it: cancelling a paid order
refunds it in the same transaction, while charging uses ordering to mark orders paid.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from orders.ordering.models import Order
from orders.payments import events
from orders.payments.errors import PaymentErrorCode
from orders.payments.models import Payment, PaymentStatus, Refund, RefundStatus
from orders.payments.providers import RefundResult, get_provider
from servicekit.celery import send_again, send_on_commit
from servicekit.envelope.errors import Conflict, NotFound
from servicekit.events import publish

logger = logging.getLogger(__name__)


def payment_refund_for_cancelled_order(*, order: Order) -> Refund | None:
    """A paid order was cancelled (inside the cancelling transaction): refund its payment.

    The payment that paid it (``pays_order``); failing that, its first captured payment not
    refunded yet (one recorded by code that predates ``pays_order``). Never an extra capture
    already being given back.
    """
    payment = (
        Payment.objects.select_for_update(of=("self",))
        .filter(order=order, status=PaymentStatus.SUCCEEDED, refund__isnull=True)
        .order_by("-pays_order", "succeeded_at", "id")
        .first()
    )
    if payment is None:
        logger.error("paid order %s has no succeeded payment to refund", order.id)
        return None
    return refund_start(payment, reason="order_cancelled")


def refund_start(payment: Payment, *, reason: str) -> Refund:
    """Record a refund of ``payment`` (once: a second call returns the first refund)."""
    refund, created = Refund.objects.get_or_create(
        payment=payment,
        defaults={"amount": payment.amount, "currency": payment.currency, "reason": reason},
    )
    if created:
        _enqueue_refund(refund)
    return refund


def _enqueue_refund(refund: Refund) -> None:
    from orders.payments.tasks import refund_process_task  # the task module imports this one

    # After commit: no refund is asked for a rolled-back change. A broker that is down is
    # logged, not raised (the cancel committed): refunds_dispatch_stale sends the task later.
    send_on_commit(refund_process_task, str(refund.id))


def refunds_dispatch_stale(*, now: datetime | None = None) -> int:
    """Send again the task of each pending refund never asked for ``DISPATCH_STALE_AFTER_SECONDS``
    after it was recorded (or retried): its task was lost, the broker being down at the commit.
    Asking twice is harmless: the provider is asked with the attempt's idempotency reference,
    and a refund no longer pending is skipped. Returns how many were sent."""
    from orders.payments.tasks import refund_process_task

    now = now or timezone.now()
    stale = Refund.objects.filter(
        status=RefundStatus.PENDING,
        asked_at__isnull=True,
        updated_at__lte=now - timedelta(seconds=settings.ORDERS["DISPATCH_STALE_AFTER_SECONDS"]),
    ).values_list("id", flat=True)
    return send_again(refund_process_task, stale, rows="pending refunds")


def refund_reference(refund: Refund) -> str:
    """The provider's idempotency reference for the refund's current attempt.

    The first attempt uses the refund id; each retry after a failure the provider reported
    gets its own (derived, deterministic) reference, because asking again with the failed
    attempt's reference would only replay that failure. Within one attempt every call uses
    the same reference, so a redelivered task never refunds twice.
    """
    if refund.attempts <= 1:
        return str(refund.id)
    return str(uuid.uuid5(refund.id, f"attempt-{refund.attempts}"))


def refund_process(*, refund_id: uuid.UUID) -> Refund:
    """Ask the provider for a pending refund (idempotent by attempt reference; safe to retry)."""
    refund = Refund.objects.select_related("payment").get(id=refund_id)
    if refund.status != RefundStatus.PENDING or refund.provider_refund_id:
        return refund
    Refund.objects.filter(id=refund.id, attempts=refund.attempts).update(asked_at=timezone.now())
    provider = get_provider(refund.payment.provider)
    result = provider.refund(
        reference=refund_reference(refund),
        provider_payment_id=refund.payment.provider_payment_id,
        amount=refund.amount,
        currency=refund.currency,
    )
    return refund_apply_result(refund_id=refund.id, result=result, attempt=refund.attempts)


@transaction.atomic
def refund_apply_result(*, refund_id: uuid.UUID, result: RefundResult, attempt: int | None = None) -> Refund:
    """Record what the provider says about a refund (its synchronous answer or a webhook).

    Applying an answer twice changes nothing, so ``orders.payment.refunded`` is published
    exactly once, whichever path reports the success first. A success reported after a
    failure is recorded (the provider holds the truth about the money); a failure after a
    success is not. ``attempt``: the attempt the answer belongs to; answers about an earlier
    attempt are ignored.
    """
    refund = Refund.objects.select_for_update().select_related("payment").get(id=refund_id)
    if attempt is not None and attempt != refund.attempts:
        logger.warning("ignoring %s answer for attempt %d of refund %s", result.status, attempt, refund.id)
        return refund
    if result.status == "succeeded":
        if refund.status == RefundStatus.SUCCEEDED:
            return refund  # already applied
        if refund.status == RefundStatus.FAILED:
            logger.warning("provider reports refund %s succeeded after it failed", refund.id)
        _refund_succeeded(refund, provider_refund_id=result.provider_refund_id)
    elif result.status == "failed":
        if refund.status != RefundStatus.PENDING:
            return refund
        refund.provider_refund_id = refund.provider_refund_id or result.provider_refund_id
        refund.status = RefundStatus.FAILED
        refund.failed_at = timezone.now()
        refund.failure_message = (result.failure_message or "The provider refused the refund.")[:255]
        refund.save()
        # Not only logged: the refund shows failed (with the message) in the payments API and
        # the admin, where staff can retry it (refund_retry).
        logger.error(
            "refund %s of payment %s failed (attempt %d): %s",
            refund.id,
            refund.payment_id,
            refund.attempts,
            refund.failure_message,
        )
    elif refund.status == RefundStatus.PENDING and not refund.provider_refund_id:
        refund.provider_refund_id = result.provider_refund_id  # accepted; a webhook will settle it
        refund.save(update_fields=["provider_refund_id", "updated_at"])
    return refund


def _refund_succeeded(refund: Refund, *, provider_refund_id: str) -> None:
    refund.provider_refund_id = refund.provider_refund_id or provider_refund_id
    refund.status = RefundStatus.SUCCEEDED
    refund.succeeded_at = timezone.now()
    refund.failure_message = ""
    refund.save()
    payment = Payment.objects.select_for_update().get(id=refund.payment_id)
    payment.status = PaymentStatus.REFUNDED
    payment.save(update_fields=["status", "updated_at"])
    publish(
        "orders.payment.refunded",
        subject=str(payment.order_id),
        data=events.payment_refunded(payment, refund),
    )


@transaction.atomic
def refund_retry(*, payment_id: uuid.UUID, actor: str) -> Refund:
    """Staff ask again for a refund the provider reported failed (a new attempt, pending).

    ``actor`` names who asked (for the log: a user id, or an admin user's login).

    Only a ``failed`` refund can be retried (``409 refund_not_retryable`` otherwise): a
    pending one is still being asked for, a succeeded one gave the money back.
    """
    if not Payment.objects.filter(id=payment_id).exists():
        raise NotFound("No such payment.", code=PaymentErrorCode.NOT_FOUND)
    refund = Refund.objects.select_for_update().filter(payment_id=payment_id).first()
    if refund is None or refund.status != RefundStatus.FAILED:
        raise Conflict(
            "Only a failed refund can be retried; "
            + (f"this one is {refund.status}." if refund else "this payment has no refund."),
            code=PaymentErrorCode.REFUND_NOT_RETRYABLE,
            details={"refund_status": refund.status if refund else None},
        )
    logger.warning(
        "refund %s of payment %s retried by %s (attempt %d failed: %s)",
        refund.id,
        payment_id,
        actor,
        refund.attempts,
        refund.failure_message,
    )
    refund.status = RefundStatus.PENDING
    refund.attempts += 1
    refund.provider_refund_id = ""
    refund.failure_message = ""
    refund.failed_at = None
    refund.asked_at = None
    refund.save()
    _enqueue_refund(refund)
    return refund
