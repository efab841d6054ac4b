"""Payment writes: intents, provider results, webhooks (refunds: ``refunds``).

Charging runs in three steps so no database lock is held while the provider is called:
(1) lock the order, check it is payable and record a ``processing`` payment; (2) ask the
provider (idempotent by our payment id); (3) lock again and apply the answer. A webhook
applies the same answers later (3-D Secure, asynchronous failures) and is idempotent twice
over: by the provider's event id, and because applying an answer twice changes nothing.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from orders.ordering.models import CancellationReason, Order, OrderStatus, OrderStatusChange
from orders.ordering.services import order_cancel, order_mark_paid
from orders.payments import events
from orders.payments.errors import PaymentErrorCode
from orders.payments.models import (
    ACTIVE_PAYMENT_STATUSES,
    Payment,
    PaymentStatus,
    Refund,
    WebhookEvent,
)
from orders.payments.providers import (
    ChargeResult,
    InvalidPaymentMethod,
    InvalidWebhook,
    ProviderUnavailable,
    RefundResult,
    UnknownProvider,
    WebhookNotification,
    get_provider,
)
from orders.payments.providers.card_numbers import TestCardProvider
from orders.payments.refunds import refund_apply_result, refund_start
from servicekit.envelope.errors import ApplicationError, Conflict, NotFound
from servicekit.events import publish

logger = logging.getLogger(__name__)


# -- paying an order ----------------------------------------------------------------------


def payment_create(
    *, user_id: uuid.UUID, order_id: uuid.UUID, payment_method: str, provider_name: str | None = None
) -> Payment:
    """Pay a confirmed order of ``user_id``; returns the payment in its resulting state."""
    provider_name = provider_name or settings.ORDERS["PAYMENT_DEFAULT_PROVIDER"]
    provider = _provider(provider_name)
    try:
        method = provider.describe(payment_method)
    except InvalidPaymentMethod as exc:
        raise ApplicationError(
            "The request is invalid.",
            code=PaymentErrorCode.INVALID_PAYMENT_METHOD,
            details={"payment_method": [str(exc)]},
        ) from None

    payment = _payment_start(
        user_id=user_id,
        order_id=order_id,
        provider_name=provider_name,
        brand=method.brand,
        last4=method.last4,
    )
    try:
        result = provider.charge(
            reference=str(payment.id),
            amount=payment.amount,
            currency=payment.currency,
            payment_method=payment_method,
        )
    except ProviderUnavailable as exc:
        # The provider may or may not have charged: the payment stays "processing" and its
        # webhook settles it. Raise after logging so the client knows to look again.
        logger.warning("provider %s failed for payment %s: %s", provider_name, payment.id, exc)
        raise ApplicationError(
            "The payment provider is unavailable; the payment will be settled when it answers.",
            code=PaymentErrorCode.PROVIDER_UNAVAILABLE,
            details={"payment_id": str(payment.id)},
            status_code=503,
        ) from None
    except InvalidPaymentMethod as exc:
        # Refused by the provider itself (describe() accepted it): a failed attempt, not a
        # payment left "processing" that would block every later attempt.
        result = ChargeResult(
            status="failed",
            provider_payment_id="",
            failure_code="invalid_payment_method",
            failure_message=str(exc),
        )
    return payment_apply_charge_result(payment_id=payment.id, result=result)


@transaction.atomic
def _payment_start(
    *, user_id: uuid.UUID, order_id: uuid.UUID, provider_name: str, brand: str, last4: str
) -> Payment:
    order = Order.objects.select_for_update().filter(id=order_id, user_id=user_id).first()
    if order is None:
        raise NotFound("No such order.", code=PaymentErrorCode.NOT_FOUND)
    if order.status != OrderStatus.CONFIRMED:
        raise Conflict(
            f"Only a confirmed order can be paid; this one is {order.status}.",
            code=PaymentErrorCode.ORDER_NOT_PAYABLE,
            details={"status": order.status},
        )
    if order.payment_due_at is not None and order.payment_due_at <= timezone.now():
        raise Conflict(
            "The time to pay this order is over.",
            code=PaymentErrorCode.ORDER_NOT_PAYABLE,
            details={"status": order.status, "payment_due_at": order.payment_due_at.isoformat()},
        )
    active = order.payments.filter(status__in=ACTIVE_PAYMENT_STATUSES).first()
    if active is not None:
        raise Conflict(
            "A payment of this order is already in progress.",
            code=PaymentErrorCode.PAYMENT_IN_PROGRESS,
            details={"payment_id": str(active.id), "status": active.status},
        )
    return Payment.objects.create(
        order=order,
        user_id=user_id,
        provider=provider_name,
        amount=order.total,
        currency=order.currency,
        status=PaymentStatus.PROCESSING,
        card_brand=brand,
        card_last4=last4,
    )


@transaction.atomic
def payment_apply_charge_result(*, payment_id: uuid.UUID, result: ChargeResult) -> Payment:
    """Record what the provider answered to a charge."""
    order, payment = _locked(payment_id)
    if result.provider_payment_id and not payment.provider_payment_id:
        payment.provider_payment_id = result.provider_payment_id
        payment.save(update_fields=["provider_payment_id", "updated_at"])
    if result.status == "succeeded":
        return _payment_succeeded(order, payment)
    if result.status == "failed":
        return _payment_failed(order, payment, code=result.failure_code, message=result.failure_message)
    if payment.status == PaymentStatus.PROCESSING:
        payment.status = PaymentStatus.REQUIRES_ACTION
        payment.next_action = result.next_action
        payment.save(update_fields=["status", "next_action", "updated_at"])
    return payment


@transaction.atomic
def payment_succeed(*, payment_id: uuid.UUID, provider_payment_id: str = "") -> Payment:
    order, payment = _locked(payment_id)
    _record_provider_payment_id(payment, provider_payment_id)
    return _payment_succeeded(order, payment)


@transaction.atomic
def payment_fail(
    *, payment_id: uuid.UUID, failure_code: str, failure_message: str = "", provider_payment_id: str = ""
) -> Payment:
    order, payment = _locked(payment_id)
    _record_provider_payment_id(payment, provider_payment_id)
    return _payment_failed(order, payment, code=failure_code, message=failure_message)


def _record_provider_payment_id(payment: Payment, provider_payment_id: str) -> None:
    """The provider's id of a payment we did not learn it for (its charge call failed)."""
    if provider_payment_id and not payment.provider_payment_id:
        payment.provider_payment_id = provider_payment_id
        payment.save(update_fields=["provider_payment_id", "updated_at"])


def _payment_succeeded(order: Order, payment: Payment) -> Payment:
    if payment.status in (PaymentStatus.SUCCEEDED, PaymentStatus.REFUNDED):
        return payment  # already applied
    if payment.status == PaymentStatus.FAILED:
        logger.warning(
            "provider reports payment %s succeeded after it failed; the money was taken", payment.id
        )
    payment.status = PaymentStatus.SUCCEEDED
    payment.succeeded_at = timezone.now()
    payment.next_action = None
    payment.failure_code = payment.failure_message = ""
    payment.pays_order = order.status == OrderStatus.CONFIRMED
    payment.save()
    if payment.pays_order:
        order_mark_paid(order=order, payment_id=payment.id)
    else:
        # Money arrived for an order that can no longer be paid (expired or cancelled while
        # the customer was in a 3-D Secure challenge, or already paid by a later attempt
        # after the provider had declined this one): give it back.
        logger.warning("payment %s succeeded for %s order %s; refunding", payment.id, order.status, order.id)
        refund_start(payment, reason="order_not_payable")
    return payment


def _payment_failed(order: Order, payment: Payment, *, code: str, message: str) -> Payment:
    if payment.status not in ACTIVE_PAYMENT_STATUSES:
        return payment  # already settled: a success is final, a failure already counted
    payment.status = PaymentStatus.FAILED
    payment.failed_at = timezone.now()
    payment.failure_code = (code or "payment_failed")[:64]
    payment.failure_message = (message or "The payment failed.")[:255]
    payment.next_action = None
    payment.save()

    failed_attempts = order.payments.filter(status=PaymentStatus.FAILED).count()
    maximum = settings.ORDERS["MAX_PAYMENT_ATTEMPTS"]
    publish(
        "orders.payment.failed",
        subject=str(order.id),
        data=events.payment_failed(
            order, payment, attempt=failed_attempts, attempts_left=max(maximum - failed_attempts, 0)
        ),
    )
    if order.status == OrderStatus.CONFIRMED and failed_attempts >= maximum:
        order_cancel(
            order_id=order.id,
            reason=CancellationReason.PAYMENT_FAILED,
            actor=OrderStatusChange.Actor.SYSTEM,
        )
    return payment


# -- webhooks -----------------------------------------------------------------------------


@dataclass(frozen=True)
class WebhookReceipt:
    event_id: str
    event_type: str
    is_duplicate: bool
    outcome: str


def payment_webhook_receive(*, provider_name: str, body: bytes, headers: Mapping[str, str]) -> WebhookReceipt:
    """Verify a provider's webhook and apply it once per provider event id."""
    provider = _provider(provider_name)
    try:
        notification = provider.parse_webhook(
            body=body,
            headers=headers,
            secret=settings.ORDERS["PAYMENT_WEBHOOK_SECRET"],
            tolerance_seconds=settings.ORDERS["PAYMENT_WEBHOOK_TOLERANCE_SECONDS"],
        )
        notification = _storable_notification(notification)
    except InvalidWebhook as exc:
        logger.warning("rejected %s webhook: %s", provider_name, exc)
        raise ApplicationError(
            f"The webhook could not be verified: {exc}.", code=PaymentErrorCode.INVALID_SIGNATURE
        ) from None
    return _webhook_apply(provider_name=provider_name, notification=notification)


_EVENT_ID_MAX = WebhookEvent._meta.get_field("event_id").max_length
_EVENT_TYPE_MAX = WebhookEvent._meta.get_field("event_type").max_length
_PAYLOAD_MAX_DEPTH = 64
_PROVIDER_PAYMENT_ID_MAX = Payment._meta.get_field("provider_payment_id").max_length


def _storable_notification(notification: WebhookNotification) -> WebhookNotification:
    """The notification in a form the database takes, whatever the provider's body held.

    A signed body is authentic, not necessarily well-formed: an event id or type that cannot
    be stored (too long, NUL or other control characters) is refused (``InvalidWebhook``); the
    other texts lose NUL characters and lone surrogates (Postgres text and jsonb take neither).
    """
    for name, value, maximum in (
        ("id", notification.event_id, _EVENT_ID_MAX),
        ("type", notification.event_type, _EVENT_TYPE_MAX),
    ):
        if not (0 < len(value) <= maximum and value.isprintable()):  # no NUL, no lone surrogate
            raise InvalidWebhook(f"the event {name} must be 1-{maximum} printable characters")
    return replace(
        notification,
        provider_payment_id=_clean_text(notification.provider_payment_id),
        reference=_clean_text(notification.reference),
        provider_refund_id=_clean_text(notification.provider_refund_id),
        failure_code=_clean_text(notification.failure_code),
        failure_message=_clean_text(notification.failure_message),
        payload=_clean_json(notification.payload, depth=0),
    )


def _clean_text(text: str) -> str:
    return text.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")


def _clean_json(value: Any, *, depth: int) -> Any:
    if depth > _PAYLOAD_MAX_DEPTH:
        raise InvalidWebhook("the body is nested too deeply")
    if isinstance(value, str):
        return _clean_text(value)
    if isinstance(value, dict):
        return {_clean_text(str(k)): _clean_json(v, depth=depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean_json(item, depth=depth + 1) for item in value]
    return value


@transaction.atomic
def _webhook_apply(*, provider_name: str, notification: WebhookNotification) -> WebhookReceipt:
    try:
        with transaction.atomic():
            event = WebhookEvent.objects.create(
                provider=provider_name,
                event_id=notification.event_id,
                event_type=notification.event_type,
                payload=notification.payload,
            )
    except IntegrityError:  # seen before (or being applied right now by a concurrent delivery)
        seen = WebhookEvent.objects.get(provider=provider_name, event_id=notification.event_id)
        return WebhookReceipt(
            event_id=notification.event_id,
            event_type=seen.event_type,
            is_duplicate=True,
            outcome=seen.outcome,
        )

    event.outcome = _webhook_dispatch(provider_name, notification)
    event.save(update_fields=["outcome"])
    return WebhookReceipt(
        event_id=notification.event_id,
        event_type=notification.event_type,
        is_duplicate=False,
        outcome=event.outcome,
    )


def _webhook_dispatch(provider_name: str, notification: WebhookNotification) -> str:
    kind = notification.event_type
    if kind in ("payment.succeeded", "payment.failed"):
        payment = _webhook_payment(provider_name, notification)
        if payment is None:
            logger.warning("%s webhook %s names an unknown payment", provider_name, notification.event_id)
            return "unknown_payment"
        if kind == "payment.succeeded":
            payment = payment_succeed(
                payment_id=payment.id, provider_payment_id=notification.provider_payment_id
            )
        else:
            payment = payment_fail(
                payment_id=payment.id,
                failure_code=notification.failure_code,
                failure_message=notification.failure_message,
                provider_payment_id=notification.provider_payment_id,
            )
        return f"payment_{payment.status}"
    if kind in ("refund.succeeded", "refund.failed"):
        refund = Refund.objects.filter(
            payment__provider=provider_name, provider_refund_id=notification.provider_refund_id
        ).first()
        if refund is None or not notification.provider_refund_id:
            return "unknown_refund"
        status = "succeeded" if kind == "refund.succeeded" else "failed"
        result = RefundResult(
            status=status,
            provider_refund_id=notification.provider_refund_id,
            failure_message=notification.failure_message,
        )
        refund = refund_apply_result(refund_id=refund.id, result=result)
        return f"refund_{refund.status}"
    return "ignored"


def _webhook_payment(provider_name: str, notification: WebhookNotification) -> Payment | None:
    """The payment a webhook is about: by the provider's payment id, or else by our reference
    for a payment that does not know its provider id yet (never one that knows another)."""
    if len(notification.provider_payment_id) > _PROVIDER_PAYMENT_ID_MAX:
        return None  # longer than any id we store: not one of ours
    payments = Payment.objects.filter(provider=provider_name)
    if notification.provider_payment_id:
        payment = payments.filter(provider_payment_id=notification.provider_payment_id).first()
        if payment is not None:
            return payment
    try:
        reference = uuid.UUID(notification.reference)
    except ValueError:
        return None
    return payments.filter(id=reference, provider_payment_id="").first()


# -- the test provider: playing the customer and the provider ------------------------------


def payment_test_webhook(
    *, payment: Payment, succeeded: bool, failure_code: str = "authentication_failed"
) -> tuple[bytes, dict[str, str]]:
    """The signed webhook the ``test`` provider sends once ``payment``'s 3-D Secure challenge is
    completed (``succeeded``) or failed: (body, headers), signed with PAYMENT_WEBHOOK_SECRET."""
    extra = (
        {}
        if succeeded
        else {"failure_code": failure_code, "failure_message": "The 3-D Secure challenge was failed."}
    )
    return TestCardProvider.webhook(
        "payment.succeeded" if succeeded else "payment.failed",
        secret=settings.ORDERS["PAYMENT_WEBHOOK_SECRET"],
        # A payment whose charge call failed does not know its provider id yet.
        provider_payment_id=payment.provider_payment_id or TestCardProvider.payment_id_for(str(payment.id)),
        **extra,
    )


def payment_test_challenge_finish(
    *, payment: Payment, succeeded: bool, failure_code: str = "authentication_failed"
) -> WebhookReceipt:
    """Finish ``payment``'s 3-D Secure challenge at the ``test`` provider: its signed webhook goes
    through the same verification and idempotency as one arriving at the webhook URL."""
    body, headers = payment_test_webhook(payment=payment, succeeded=succeeded, failure_code=failure_code)
    return payment_webhook_receive(provider_name=TestCardProvider.name, body=body, headers=headers)


# -- helpers ------------------------------------------------------------------------------


def _provider(name: str):
    try:
        return get_provider(name)
    except UnknownProvider:
        raise NotFound(
            f"No payment provider named {name!r}.", code=PaymentErrorCode.UNKNOWN_PROVIDER
        ) from None


def _locked(payment_id: uuid.UUID) -> tuple[Order, Payment]:
    """Lock the order, then its payment (always in this order, so two settlements never deadlock)."""
    order_id = Payment.objects.filter(id=payment_id).values_list("order_id", flat=True).first()
    if order_id is None:
        raise NotFound("No such payment.", code=PaymentErrorCode.NOT_FOUND)
    order = Order.objects.select_for_update().get(id=order_id)
    payment = Payment.objects.select_for_update().get(id=payment_id)
    return order, payment
