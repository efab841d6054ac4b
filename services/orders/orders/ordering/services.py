"""Order writes: checkout, the stock saga, cancellation, shipping, completion, expiry.

Every status change goes through :func:`_transition` (``servicekit.states.transition``), which
consults the one table of allowed transitions (``models.ALLOWED_TRANSITIONS``) on a row locked
with ``select_for_update``, saves the status with its timestamp and writes the history row, and
raises ``Conflict`` for anything else. Each service publishes its
event in the same transaction (the outbox), so nothing is announced for a rolled-back change.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from orders.carts.models import Cart
from orders.carts.selectors import cart_lines
from orders.ordering import events
from orders.ordering.errors import OrderErrorCode
from orders.ordering.models import (
    ALLOWED_TRANSITIONS,
    CancellationReason,
    CheckoutIdempotencyKey,
    Order,
    OrderLine,
    OrderStatus,
    OrderStatusChange,
)
from orders.payments.refunds import payment_refund_for_cancelled_order
from servicekit.envelope.errors import ApplicationError, Conflict, NotFound
from servicekit.events import publish
from servicekit.idempotency import claim_key, prune_keys
from servicekit.money import format_amount, max_amount
from servicekit.states import transition

logger = logging.getLogger(__name__)

Actor = OrderStatusChange.Actor

_TIMESTAMP_OF = {
    OrderStatus.CONFIRMED: "confirmed_at",
    OrderStatus.REJECTED: "rejected_at",
    OrderStatus.PAID: "paid_at",
    OrderStatus.SHIPPED: "shipped_at",
    OrderStatus.COMPLETED: "completed_at",
    OrderStatus.CANCELLED: "cancelled_at",
}


# -- checkout -----------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckoutResult:
    order: Order
    is_replay: bool  # True: this key was used before with this body; nothing new was created


@transaction.atomic
def order_checkout(
    *,
    user_id: uuid.UUID,
    idempotency_key: str,
    fingerprint: str,
    shipping_address: Mapping[str, Any],
) -> CheckoutResult:
    """Turn the user's cart into a ``pending`` order, once per idempotency key.

    The key row is inserted first: a concurrent request with the same key blocks on the
    unique index until this transaction ends, then fails and replays our order. A request
    that fails (empty cart …) rolls its key back, so the key may be used again. Keys are
    pruned after ``ORDER_IDEMPOTENCY_KEY_RETENTION_HOURS``; a pruned key is simply new again.
    """
    claimed = _claim_key(user_id=user_id, idempotency_key=idempotency_key, fingerprint=fingerprint)
    if isinstance(claimed, CheckoutResult):
        return claimed
    key = claimed

    order = _place_order(user_id=user_id, shipping_address=shipping_address)
    key.order = order
    key.save(update_fields=["order"])
    return CheckoutResult(order=order, is_replay=False)


def _claim_key(
    *, user_id: uuid.UUID, idempotency_key: str, fingerprint: str
) -> CheckoutIdempotencyKey | CheckoutResult:
    """Insert the key row, or answer with the replay of the request that holds the key."""
    row, claimed = claim_key(
        CheckoutIdempotencyKey, user_id=user_id, key=idempotency_key, fingerprint=fingerprint
    )
    if claimed:
        return row
    if row.fingerprint != fingerprint:
        raise Conflict(
            "This Idempotency-Key was already used with a different request body.",
            code=OrderErrorCode.IDEMPOTENCY_KEY_REUSED,
            details={"idempotency_key": [idempotency_key], "order_id": str(row.order_id)},
        )
    return CheckoutResult(order=row.order, is_replay=True)


def _place_order(*, user_id: uuid.UUID, shipping_address: Mapping[str, Any]) -> Order:
    cart = Cart.objects.select_for_update().filter(user_id=user_id).first()
    lines = list(cart_lines(cart=cart)) if cart else []
    if not lines:
        raise ApplicationError("The cart is empty.", code=OrderErrorCode.CART_EMPTY)

    unavailable = [str(line.product_id) for line in lines if not line.product.is_purchasable]
    if unavailable:
        raise ApplicationError(
            "Some products in the cart are no longer available; remove them and try again.",
            code=OrderErrorCode.PRODUCT_UNAVAILABLE,
            details={"product_ids": unavailable},
        )
    currencies = sorted({line.product.currency for line in lines})
    if len(currencies) > 1:
        raise ApplicationError(
            "An order is paid in one currency; the cart mixes " + ", ".join(currencies) + ".",
            code=OrderErrorCode.CURRENCY_MISMATCH,
            details={"currencies": currencies},
        )
    maximum = settings.ORDERS["CART_MAX_LINE_QUANTITY"]
    too_many = [str(line.product_id) for line in lines if line.quantity > maximum]
    if too_many:
        raise ApplicationError(
            f"The quantity of a product must be between 1 and {maximum}.",
            code=OrderErrorCode.QUANTITY_OUT_OF_RANGE,
            details={"product_ids": too_many},
        )

    total = sum((line.product.price * line.quantity for line in lines), Decimal("0"))
    currency = currencies[0]
    if total > max_amount(currency):  # every line total is at most the total (prices are not negative)
        raise ApplicationError(
            f"An order's total may be at most {max_amount(currency)} {currency}; lower the quantities.",
            code=OrderErrorCode.AMOUNT_TOO_LARGE,
            details={"total": [format_amount(total, currency)]},
        )

    order = Order.objects.create(
        user_id=user_id,
        status=OrderStatus.PENDING,
        currency=currency,
        total=total,
        shipping_address=dict(shipping_address),
    )
    order_lines = OrderLine.objects.bulk_create(
        OrderLine(
            order=order,
            product_id=line.product.id,
            sku=line.product.sku,
            name=line.product.name,
            unit_price=line.product.price,
            quantity=line.quantity,
            line_total=line.product.price * line.quantity,
        )
        for line in lines
    )
    OrderStatusChange.objects.create(
        order=order, from_status="", to_status=OrderStatus.PENDING, actor=Actor.CUSTOMER, actor_id=user_id
    )
    cart.lines.all().delete()
    cart.save(update_fields=["updated_at"])
    publish("orders.order.placed", subject=str(order.id), data=events.order_placed(order, order_lines))
    return order


# -- the stock saga -----------------------------------------------------------------------


@transaction.atomic
def order_confirm(*, order_id: uuid.UUID) -> Order:
    """Catalog reserved the stock: the order awaits payment until ``payment_due_at``."""
    order = _locked_order(order_id)
    _transition(order, OrderStatus.CONFIRMED, actor=Actor.SYSTEM, reason="stock reserved")
    order.payment_due_at = order.confirmed_at + timedelta(minutes=settings.ORDERS["PAYMENT_TIMEOUT_MINUTES"])
    order.save(update_fields=["payment_due_at", "updated_at"])
    publish("orders.order.confirmed", subject=str(order.id), data=events.order_confirmed(order))
    return order


@transaction.atomic
def order_reject(*, order_id: uuid.UUID, reason: Any, failed_lines: Any) -> Order:
    """Catalog could not reserve the stock; the reason is shown to the customer.

    What catalog sent is not trusted: ``reason`` and ``failed_lines`` are reduced to what
    ``orders.order.rejected`` promises (see :func:`rejection_lines`), so an odd answer rejects
    the order instead of failing the event into the dead-letter queue.
    """
    reason = _clean_text(reason if isinstance(reason, str) else "", 255)
    failed_lines = rejection_lines(failed_lines)
    order = _locked_order(order_id)
    _transition(
        order,
        OrderStatus.REJECTED,
        actor=Actor.SYSTEM,
        reason=reason,
        changes={
            "status_reason": _rejection_message(reason, failed_lines, order),
            "rejection_details": failed_lines,
        },
    )
    publish("orders.order.rejected", subject=str(order.id), data=events.order_rejected(order))
    return order


NIL_PRODUCT_ID = str(uuid.UUID(int=0))
_RAW_PRODUCT_ID_MAX_CHARS = 100
_LINE_REASON_MAX_CHARS = 64
_MAX_REJECTION_LINES = 200


def rejection_lines(failed_lines: Any) -> list[dict[str, Any]]:
    """catalog.stock.rejected's ``failed_lines`` as orders stores and republishes them.

    Each line keeps ``product_id`` (a UUID; the nil UUID when catalog could not name the
    product, e.g. an ``invalid_line``), ``requested`` and ``available`` when they are integers,
    ``reason`` when it is a string, and ``raw_product_id`` (what the line named instead of a
    product id, at most 100 characters) when present. Anything else a line holds is dropped;
    a line that is not an object becomes an ``invalid_line`` naming what it was.
    """
    lines = []
    for failed in failed_lines[:_MAX_REJECTION_LINES] if isinstance(failed_lines, list) else []:
        if not isinstance(failed, dict):
            failed = {"product_id": None, "raw_product_id": failed, "reason": "invalid_line"}
        line: dict[str, Any] = {"product_id": _uuid_or_nil(failed.get("product_id"))}
        for count in ("requested", "available"):
            if isinstance(failed.get(count), int) and not isinstance(failed[count], bool):
                line[count] = failed[count]
        if isinstance(failed.get("reason"), str):
            line["reason"] = _clean_text(failed["reason"], _LINE_REASON_MAX_CHARS)
        raw = failed.get("raw_product_id")
        if raw is None and line["product_id"] == NIL_PRODUCT_ID and failed.get("product_id") is not None:
            raw = failed["product_id"]  # not a UUID: keep what it was
        if raw is not None:
            line["raw_product_id"] = _clean_text(str(raw), _RAW_PRODUCT_ID_MAX_CHARS)
        lines.append(line)
    return lines


def _uuid_or_nil(value: Any) -> str:
    try:
        return str(uuid.UUID(value)) if isinstance(value, str) else NIL_PRODUCT_ID
    except ValueError:
        return NIL_PRODUCT_ID


def _clean_text(text: str, max_chars: int) -> str:
    """Text Postgres can store (no NUL, no lone surrogate), cut to ``max_chars``."""
    return text.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")[:max_chars]


def _rejection_message(reason: str, failed_lines: list[dict[str, Any]], order: Order) -> str:
    """E.g. "Insufficient stock: Blue mug (requested 2, available 0)".

    A line names its product by the order line's name; a line catalog could not tie to a
    product (``invalid_line``, nil product id) by the ``raw_product_id`` it was sent with.
    """
    names = {str(line.product_id): line.name for line in order.lines.all()}
    parts = []
    for failed in failed_lines:
        product_id = failed["product_id"]
        label = names.get(product_id) or failed.get("raw_product_id") or product_id
        details = []
        line_reason = failed.get("reason", "")
        if line_reason and line_reason != reason:
            details.append(line_reason.replace("_", " "))
        if "requested" in failed and "available" in failed:
            details.append(f"requested {failed['requested']}, available {failed['available']}")
        parts.append(label + (f" ({'; '.join(details)})" if details else ""))
    message = reason.replace("_", " ").capitalize() if reason else "Stock could not be reserved"
    return (message + (": " + ", ".join(parts) if parts else ""))[:255]


# -- lifecycle ----------------------------------------------------------------------------


@transaction.atomic
def order_cancel(
    *,
    order_id: uuid.UUID,
    reason: CancellationReason,
    actor: str,
    actor_id: uuid.UUID | None = None,
) -> Order:
    """Cancel before shipping; a paid order is refunded. Catalog, on ``orders.order.cancelled``,
    releases what the order reserved or, once paid, puts its units back on hand."""
    order = _locked_order(order_id)
    previous = _transition(
        order,
        OrderStatus.CANCELLED,
        actor=actor,
        actor_id=actor_id,
        reason=reason,
        changes={"cancellation_reason": reason, "status_reason": _cancellation_message(reason)},
    )
    publish(
        "orders.order.cancelled",
        subject=str(order.id),
        data=events.order_cancelled(order, previous_status=previous),
    )
    if previous == OrderStatus.PAID:
        payment_refund_for_cancelled_order(order=order)
    return order


def _cancellation_message(reason: str) -> str:
    return {
        CancellationReason.CUSTOMER: "Cancelled by the customer.",
        CancellationReason.STAFF: "Cancelled by staff.",
        CancellationReason.EXPIRED: "Cancelled: not paid in time.",
        CancellationReason.PAYMENT_FAILED: "Cancelled: payment failed too many times.",
        CancellationReason.STOCK_TIMEOUT: (
            "Cancelled: the stock could not be confirmed in time. Nothing was charged; "
            "you can place the order again."
        ),
    }[reason]


def order_mark_paid(*, order: Order, payment_id: uuid.UUID) -> Order:
    """Payment succeeded (caller holds the order's lock, inside its transaction)."""
    _transition(order, OrderStatus.PAID, actor=Actor.SYSTEM, reason=f"payment {payment_id}")
    publish(
        "orders.order.paid", subject=str(order.id), data=events.order_paid(order, payment_id=str(payment_id))
    )
    return order


@transaction.atomic
def order_ship(
    *, order_id: uuid.UUID, actor_id: uuid.UUID, carrier: str = "", tracking_number: str = ""
) -> Order:
    order = _locked_order(order_id)
    _transition(
        order,
        OrderStatus.SHIPPED,
        actor=Actor.STAFF,
        actor_id=actor_id,
        changes={"carrier": carrier, "tracking_number": tracking_number},
    )
    publish("orders.order.shipped", subject=str(order.id), data=events.order_shipped(order))
    return order


@transaction.atomic
def order_complete(*, order_id: uuid.UUID, actor_id: uuid.UUID) -> Order:
    """Delivered: the order is complete (its buyer may now review its products)."""
    order = _locked_order(order_id)
    _transition(order, OrderStatus.COMPLETED, actor=Actor.STAFF, actor_id=actor_id, reason="delivered")
    publish("orders.order.completed", subject=str(order.id), data=events.order_completed(order))
    return order


def orders_expire_unpaid(*, now: datetime | None = None, batch_size: int = 500) -> int:
    """Cancel confirmed orders whose payment is overdue; returns how many were cancelled.

    Each order is cancelled in its own transaction; one paid in the meantime is skipped.
    """
    now = now or timezone.now()
    overdue = list(
        Order.objects.filter(status=OrderStatus.CONFIRMED, payment_due_at__lte=now)
        .order_by("payment_due_at")
        .values_list("id", flat=True)[:batch_size]
    )
    cancelled = _cancel_each(overdue, reason=CancellationReason.EXPIRED)
    if cancelled:
        logger.info("expired %d unpaid orders", cancelled)
    return cancelled


def orders_expire_pending(*, now: datetime | None = None, batch_size: int = 500) -> int:
    """Cancel pending orders catalog has not answered for ``ORDER_PENDING_TIMEOUT_SECONDS``.

    The customer sees why (``stock_timeout``) and ``orders.order.cancelled`` makes catalog
    release whatever it reserves for the order, even if its answer is only late: catalog
    handles an order's placement and cancellation in order, and a late stock answer for the
    cancelled order is dropped here (see ``ordering/handlers.py``). An order that catalog
    answers in the meantime is skipped (its row lock decides who wins).
    """
    timeout = settings.ORDERS["PENDING_TIMEOUT_SECONDS"]
    if timeout <= 0:
        return 0
    cutoff = (now or timezone.now()) - timedelta(seconds=timeout)
    stuck = list(
        Order.objects.filter(status=OrderStatus.PENDING, placed_at__lte=cutoff)
        .order_by("placed_at")
        .values_list("id", flat=True)[:batch_size]
    )
    cancelled = _cancel_each(stuck, reason=CancellationReason.STOCK_TIMEOUT)
    if cancelled:
        logger.warning("cancelled %d pending orders catalog did not answer within %ds", cancelled, timeout)
    return cancelled


def _cancel_each(order_ids: list[uuid.UUID], *, reason: CancellationReason) -> int:
    """Cancel each order in its own transaction, skipping those that moved on meanwhile."""
    cancelled = 0
    for order_id in order_ids:
        try:
            order_cancel(order_id=order_id, reason=reason, actor=Actor.SYSTEM)
        except Conflict:
            logger.info("order %s changed before it could be cancelled (%s); skipped", order_id, reason)
            continue
        cancelled += 1
    return cancelled


# -- checkout idempotency keys ------------------------------------------------------------


def checkout_keys_prune(*, now: datetime | None = None, batch_size: int = 1000) -> int:
    """Delete checkout idempotency keys older than ``ORDER_IDEMPOTENCY_KEY_RETENTION_HOURS``
    (in short batches); orders are untouched: a pruned key sent again checks out anew."""
    return prune_keys(
        CheckoutIdempotencyKey,
        older_than_hours=settings.ORDERS["IDEMPOTENCY_KEY_RETENTION_HOURS"],
        now=now,
        batch_size=batch_size,
    )


# -- the state machine --------------------------------------------------------------------


def _locked_order(order_id: uuid.UUID) -> Order:
    order = Order.objects.select_for_update().filter(id=order_id).first()
    if order is None:
        raise NotFound("No such order.", code=OrderErrorCode.NOT_FOUND)
    return order


def _transition(
    order: Order,
    to_status: OrderStatus,
    *,
    actor: str,
    actor_id: uuid.UUID | None = None,
    reason: str = "",
    changes: dict[str, Any] | None = None,
) -> str:
    """Move a locked order to ``to_status`` if the table allows it, with the other fields the
    change sets (``changes``); returns the previous status."""
    now = timezone.now()
    return transition(
        order,
        "status",
        to_status,
        table=ALLOWED_TRANSITIONS,
        refused=lambda current, allowed: Conflict(
            f"An order that is {current} cannot become {to_status}.",
            code=OrderErrorCode.ILLEGAL_TRANSITION,
            details={"status": current, "requested_status": str(to_status), "allowed": allowed},
        ),
        record=lambda previous: OrderStatusChange.objects.create(
            order=order,
            from_status=previous,
            to_status=to_status,
            actor=actor,
            actor_id=actor_id,
            reason=reason,
            created_at=now,
        ),
        changes={_TIMESTAMP_OF[to_status]: now, **(changes or {})},
    )
