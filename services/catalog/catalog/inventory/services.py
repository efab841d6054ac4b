"""Stock: manual adjustments and the catalog half of the checkout saga.

Reservations are keyed by order id. Every write locks the products it touches with
``SELECT … FOR UPDATE`` in id order (so two orders never wait on each other in a cycle)
and checks availability on the locked rows; the database constraints
(``0 <= reserved <= stock_on_hand``) back this up, so nothing can oversell.

Saga steps (each is idempotent per order, whatever the event ids):
- ``orders.order.placed``    → :func:`stock_reserve_for_order`  (all lines or none)
- ``orders.order.cancelled`` → :func:`stock_release_for_order`  (cancelled or expired; a paid
  order's committed units go back on hand)
- ``orders.order.paid``      → :func:`stock_commit_for_order`   (reservation → decrement)
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from catalog.cache import invalidate_catalog_reads
from catalog.inventory import events
from catalog.inventory.errors import StockErrorCode
from catalog.inventory.models import StockAdjustment, StockReservation, StockReservationLine
from catalog.limits import MAX_INT
from catalog.products.models import Product
from catalog.products.services import product_create
from servicekit.envelope.errors import Conflict, NotFound
from servicekit.events import publish

logger = logging.getLogger("catalog.inventory")

Status = StockReservation.Status

UNKNOWN_PRODUCT = "unknown_product"
INACTIVE_PRODUCT = "inactive_product"
INSUFFICIENT_STOCK = "insufficient_stock"
INVALID_LINE = "invalid_line"
SEVERAL_REASONS = "lines_unavailable"
NO_LINES = "no_lines"
# catalog.stock.rejected promises a UUID in failed_lines[].product_id (orders passes it on in
# orders.order.rejected, whose schema says the same): a line whose product id is not one is
# reported under the nil UUID, with what was sent in ``raw_product_id``.
NIL_PRODUCT_ID = str(uuid.UUID(int=0))
RAW_VALUE_MAX_CHARS = 100
INITIAL_STOCK_REASON = "initial stock"


def _locked_products(product_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Product]:
    """Lock the products in id order (deadlock-free) and return them by id."""
    products = (
        Product.objects.select_for_update(of=("self",))
        .filter(pk__in=sorted(set(product_ids)))
        .order_by("id")
        .only("id", "stock_on_hand", "reserved", "is_active")
    )
    return {product.id: product for product in products}


@transaction.atomic
def stock_adjust(*, product: Product, delta: int, reason: str, actor_id: str) -> StockAdjustment:
    """Add (restock) or remove (write-off, count) units on hand, with a reason for the audit trail.

    NotFound if the product was deleted since the caller read it; a validation error on
    ``delta`` if stock on hand would leave the database's integer range.
    """
    if delta == 0:
        raise ValidationError({"delta": ["The adjustment must change the stock."]})
    if not -MAX_INT <= delta <= MAX_INT:
        raise ValidationError({"delta": [f"Ensure this value is between {-MAX_INT} and {MAX_INT}."]})
    if not reason.strip():
        raise ValidationError({"reason": ["A reason is required."]})
    locked = _locked_products([product.pk]).get(product.pk)
    if locked is None:
        raise NotFound("Product not found.")
    after = locked.stock_on_hand + delta
    if after > MAX_INT:
        raise ValidationError(
            {"delta": [f"Stock on hand would be {after}; it cannot exceed {MAX_INT}."]},
        )
    if after < locked.reserved:
        raise Conflict(
            "Stock on hand cannot go below what is reserved for orders.",
            code=StockErrorCode.BELOW_RESERVED,
            details={"stock": locked.stock_on_hand, "reserved": locked.reserved, "delta": delta},
        )
    Product.objects.filter(pk=locked.pk).update(stock_on_hand=after)
    adjustment = StockAdjustment.objects.create(
        product_id=locked.pk,
        delta=delta,
        stock_before=locked.stock_on_hand,
        stock_after=after,
        reason=reason.strip(),
        actor_id=actor_id,
    )
    invalidate_catalog_reads()
    return adjustment


@transaction.atomic
def product_create_with_stock(*, vendor_id: str, stock: int = 0, **product_fields: Any) -> Product:
    """Create a product (``product_create``'s fields) with ``stock`` units on hand, recorded as
    its first adjustment, by its vendor; one transaction with its ``catalog.product.created``."""
    if stock < 0:
        raise ValidationError({"stock": ["Stock cannot be negative."]})
    if stock > MAX_INT:
        raise ValidationError({"stock": [f"Stock cannot exceed {MAX_INT}."]})
    product = product_create(vendor_id=vendor_id, **product_fields)
    if stock:
        stock_adjust(product=product, delta=stock, reason=INITIAL_STOCK_REASON, actor_id=vendor_id)
        product.refresh_from_db(fields=["stock_on_hand"])
    return product


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _raw(value: Any) -> str:
    """What was sent, as a short string jsonb can store (no NUL)."""
    return str(value)[:RAW_VALUE_MAX_CHARS].replace("\x00", "")


def _invalid_line(line: Any) -> dict[str, Any]:
    """A malformed line, reported in a form catalog.stock.rejected's schema accepts."""
    fields = line if isinstance(line, Mapping) else {}
    raw_product_id, quantity = fields.get("product_id"), fields.get("quantity")
    failed: dict[str, Any] = {"product_id": NIL_PRODUCT_ID, "requested": 0, "reason": INVALID_LINE}
    try:
        failed["product_id"] = str(uuid.UUID(raw_product_id))
    except (TypeError, ValueError, AttributeError):
        failed["raw_product_id"] = _raw(raw_product_id if isinstance(line, Mapping) else line)
    if _is_count(quantity):
        failed["requested"] = quantity
    return failed


def _requested_quantities(lines: Any) -> tuple[dict[uuid.UUID, int], list[dict]]:
    """Sum quantities per product (an order may list a product twice); malformed lines fail.

    The event comes from another service and is not trusted: a line that is not an object,
    a product id that is not a UUID, or a quantity that is not a positive integer is an
    ``invalid_line`` failure that can still be published (never an exception, which would
    retry the event into the dead-letter queue and leave the order waiting).
    """
    requested: dict[uuid.UUID, int] = defaultdict(int)
    invalid: list[dict[str, Any]] = []
    for line in lines if isinstance(lines, list | tuple) else []:
        if not isinstance(line, Mapping):
            invalid.append(_invalid_line(line))
            continue
        quantity = line.get("quantity")
        raw_product_id = line.get("product_id")
        try:
            product_id = uuid.UUID(raw_product_id) if isinstance(raw_product_id, str) else None
        except ValueError:
            product_id = None
        if product_id is None or not _is_count(quantity) or quantity < 1:
            invalid.append(_invalid_line(line))
            continue
        requested[product_id] += quantity
    return dict(requested), invalid


def _publish_outcome(reservation: StockReservation) -> None:
    order_id = str(reservation.order_id)
    if reservation.status == Status.RESERVED:
        publish("catalog.stock.reserved", subject=order_id, data=events.stock_reserved(reservation))
    elif reservation.status == Status.REJECTED:
        publish("catalog.stock.rejected", subject=order_id, data=events.stock_rejected(reservation))


@transaction.atomic
def stock_reserve_for_order(
    *, order_id: uuid.UUID, user_id: str, lines: Iterable[Mapping[str, Any]]
) -> StockReservation:
    """Reserve every line of an order, or none of them; publish reserved or rejected.

    The order id is claimed first (unique row), so concurrent or repeated deliveries for
    the same order reserve once; a repeat re-publishes the recorded outcome (orders treats
    it idempotently) unless the order was already released or committed.
    """
    reservation, created = StockReservation.objects.get_or_create(
        order_id=order_id, defaults={"user_id": _raw(user_id)[:64], "status": Status.RESERVED}
    )
    if not created:
        logger.info(
            "order %s already has a %s reservation; not reserving again", order_id, reservation.status
        )
        _publish_outcome(reservation)
        return reservation

    requested, failed = _requested_quantities(lines)
    products = _locked_products(requested)
    for product_id, quantity in sorted(requested.items()):
        product = products.get(product_id)
        if product is None:
            failed.append({"product_id": str(product_id), "requested": quantity, "available": 0,
                           "reason": UNKNOWN_PRODUCT})  # fmt: skip
        elif not product.is_active:
            failed.append({"product_id": str(product_id), "requested": quantity,
                           "available": product.available, "reason": INACTIVE_PRODUCT})  # fmt: skip
        elif product.available < quantity:
            failed.append({"product_id": str(product_id), "requested": quantity,
                           "available": product.available, "reason": INSUFFICIENT_STOCK})  # fmt: skip

    if failed or not requested:
        reasons = {line["reason"] for line in failed} or {NO_LINES}
        reservation.status = Status.REJECTED
        reservation.reason = reasons.pop() if len(reasons) == 1 else SEVERAL_REASONS
        reservation.failed_lines = failed
        reservation.save(update_fields=["status", "reason", "failed_lines", "updated_at"])
        logger.info("order %s: stock rejected (%s)", order_id, reservation.reason)
    else:
        for product_id, quantity in requested.items():
            products[product_id].reserved += quantity
        Product.objects.bulk_update(list(products.values()), ["reserved"])
        StockReservationLine.objects.bulk_create(
            StockReservationLine(reservation=reservation, product_id=product_id, quantity=quantity)
            for product_id, quantity in sorted(requested.items())
        )
        invalidate_catalog_reads()
    _publish_outcome(reservation)
    return reservation


@transaction.atomic
def stock_release_for_order(*, order_id: uuid.UUID, reason: str) -> StockReservation:
    """Give back what an order reserved (cancelled, expired); publish ``catalog.stock.released``.

    A cancellation that arrives before the order's placement is remembered (a released
    reservation holding nothing), so the late placement reserves nothing. A paid order
    (committed reservation) is cancelled before it ships: its units go back on hand
    (:func:`_return_committed_units`). Releasing a rejected, released or returned reservation
    changes nothing (logged), so a cancellation counts once whatever the event ids.
    """
    reservation, created = StockReservation.objects.get_or_create(
        order_id=order_id, defaults={"status": Status.RELEASED, "reason": reason}
    )
    if created:
        logger.warning("order %s cancelled before any reservation; recorded so none will be made", order_id)
        return reservation
    reservation = StockReservation.objects.select_for_update().get(pk=reservation.pk)
    if reservation.status == Status.COMMITTED:
        return _return_committed_units(reservation, reason=reason)
    if reservation.status != Status.RESERVED:
        logger.info(
            "order %s cancelled but its reservation is %s; stock unchanged", order_id, reservation.status
        )
        return reservation

    lines = list(reservation.lines.all())
    products = _locked_products(line.product_id for line in lines)
    for line in lines:
        product = products.get(line.product_id)
        if product is None:  # deleting a product with reservations is refused; be defensive
            logger.error("order %s: reserved product %s no longer exists", order_id, line.product_id)
            continue
        product.reserved -= line.quantity
    Product.objects.bulk_update(list(products.values()), ["reserved"])
    reservation.status = Status.RELEASED
    reservation.reason = reason
    reservation.save(update_fields=["status", "reason", "updated_at"])
    publish(
        "catalog.stock.released",
        subject=str(order_id),
        data=events.stock_released(order_id=order_id, reason=reason, lines=lines),
    )
    invalidate_catalog_reads()
    return reservation


@transaction.atomic
def stock_commit_for_order(*, order_id: uuid.UUID) -> StockReservation | None:
    """The order was paid: its reserved units leave the warehouse (on hand and reserved drop).

    A payment for an order with no active reservation changes nothing (logged).
    """
    reservation = StockReservation.objects.select_for_update().filter(order_id=order_id).first()
    if reservation is None or reservation.status != Status.RESERVED:
        state = reservation.status if reservation else "no"
        logger.warning("order %s paid but it has %s reservation; stock unchanged", order_id, state)
        return reservation

    lines = list(reservation.lines.all())
    products = _locked_products(line.product_id for line in lines)
    for line in lines:
        product = products.get(line.product_id)
        if product is None:
            logger.error("order %s: reserved product %s no longer exists", order_id, line.product_id)
            continue
        product.reserved -= line.quantity
        product.stock_on_hand -= line.quantity
    Product.objects.bulk_update(list(products.values()), ["reserved", "stock_on_hand"])
    reservation.status = Status.COMMITTED
    reservation.save(update_fields=["status", "updated_at"])
    invalidate_catalog_reads()
    return reservation


def _return_committed_units(reservation: StockReservation, *, reason: str) -> StockReservation:
    """A paid order was cancelled (orders refunds it): the units it took go back on hand.

    Called with the reservation locked; ``returned`` is final, so a second cancellation (or a
    redelivered one) finds nothing to return. Nothing is published: no service follows stock
    on hand, and orders already announced the cancellation.
    """
    lines = list(reservation.lines.all())
    products = _locked_products(line.product_id for line in lines)
    for line in lines:
        product = products.get(line.product_id)
        if product is None:  # deleted since payment: nothing to put the units back on
            logger.error(
                "order %s: returned product %s no longer exists", reservation.order_id, line.product_id
            )
            continue
        product.stock_on_hand = min(product.stock_on_hand + line.quantity, MAX_INT)
    Product.objects.bulk_update(list(products.values()), ["stock_on_hand"])
    reservation.status = Status.RETURNED
    reservation.reason = reason
    reservation.save(update_fields=["status", "reason", "updated_at"])
    logger.info("order %s cancelled after payment; %d line(s) back on hand", reservation.order_id, len(lines))
    invalidate_catalog_reads()
    return reservation
