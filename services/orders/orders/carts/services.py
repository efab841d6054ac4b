"""Cart writes: add, change quantity, remove, clear. Prices are never stored in the cart."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import transaction

from orders.carts.errors import CartErrorCode
from orders.carts.models import Cart, CartIdempotencyKey, CartLine
from orders.products.models import Product
from orders.products.selectors import product_get
from servicekit.envelope.errors import ApplicationError, Conflict, NotFound
from servicekit.idempotency import claim_key, prune_keys


@dataclass(frozen=True)
class CartItemAdded:
    line: CartLine | None  # None only in a replay whose line was removed since
    is_new_line: bool  # the add made the line (201), or grew it (200); a replay says what the first did
    is_replay: bool = False  # True: this key was used before with this body; nothing was added now


@transaction.atomic
def cart_add_item(
    *,
    user_id: uuid.UUID,
    product_id: uuid.UUID,
    quantity: int,
    idempotency_key: str = "",
    fingerprint: str = "",
) -> CartItemAdded:
    """Add ``quantity`` of a product; adding a product already in the cart raises its quantity.

    ``quantity`` itself must be in bounds, not only the line's new total: adding 0 would do
    nothing and a negative number would lower the line (that is ``cart_update_item_quantity``).

    With an ``idempotency_key`` (and the ``fingerprint`` of the request body) the add happens
    once per key: the key row is inserted first, so a concurrent add with the same key waits
    on it and then replays this one, adding nothing. A replay answers the line as it is now
    and whether the first add made it; the same key with another body is 409
    ``idempotency_key_reused``. An add that fails rolls its key back, so the key stays unused.
    """
    if idempotency_key:
        claimed = _claim_key(
            user_id=user_id, idempotency_key=idempotency_key, fingerprint=fingerprint, product_id=product_id
        )
        if isinstance(claimed, CartItemAdded):
            return claimed
        added = _add_item(user_id=user_id, product_id=product_id, quantity=quantity)
        claimed.is_new_line = added.is_new_line
        claimed.save(update_fields=["is_new_line"])
        return added
    return _add_item(user_id=user_id, product_id=product_id, quantity=quantity)


def _claim_key(
    *, user_id: uuid.UUID, idempotency_key: str, fingerprint: str, product_id: uuid.UUID
) -> CartIdempotencyKey | CartItemAdded:
    """Insert the key row, or answer with the replay of the add that holds the key."""
    row, claimed = claim_key(
        CartIdempotencyKey,
        user_id=user_id,
        key=idempotency_key,
        fingerprint=fingerprint,
        defaults={"product_id": product_id},
    )
    if claimed:
        return row
    if row.fingerprint != fingerprint:
        raise Conflict(
            "This Idempotency-Key was already used with a different request body.",
            code=CartErrorCode.IDEMPOTENCY_KEY_REUSED,
            details={"idempotency_key": [idempotency_key], "product_id": str(row.product_id)},
        )
    line = (
        CartLine.objects.select_related("product")
        .filter(cart__user_id=user_id, product_id=row.product_id)
        .first()
    )
    return CartItemAdded(line=line, is_new_line=row.is_new_line, is_replay=True)


def _add_item(*, user_id: uuid.UUID, product_id: uuid.UUID, quantity: int) -> CartItemAdded:
    _check_quantity(quantity)
    cart = _locked_cart(user_id)
    product = _purchasable_product(product_id)
    line = cart.lines.select_related("product").filter(product_id=product.id).first()

    other_currencies = {
        currency
        for currency in cart.lines.exclude(product_id=product.id).values_list("product__currency", flat=True)
    }
    if other_currencies - {product.currency}:
        raise ApplicationError(
            f"This cart holds {', '.join(sorted(other_currencies))} products; "
            f"a {product.currency} product cannot be added (one currency per order).",
            code=CartErrorCode.CURRENCY_MISMATCH,
            details={"product_id": [str(product.id)], "cart_currency": sorted(other_currencies)},
        )

    new_quantity = quantity + (line.quantity if line else 0)
    _check_quantity(new_quantity)
    if line is None:
        if cart.lines.count() >= _limit("CART_MAX_LINES"):
            raise ApplicationError(
                f"A cart holds at most {_limit('CART_MAX_LINES')} different products.",
                code=CartErrorCode.CART_FULL,
            )
        line = CartLine.objects.create(cart=cart, product=product, quantity=new_quantity)
        _touch(cart)
        return CartItemAdded(line=line, is_new_line=True)
    line.quantity = new_quantity
    line.save(update_fields=["quantity", "updated_at"])
    _touch(cart)
    return CartItemAdded(line=line, is_new_line=False)


@transaction.atomic
def cart_update_item_quantity(*, user_id: uuid.UUID, product_id: uuid.UUID, quantity: int) -> CartLine:
    """Set a line's quantity (removing a line is :func:`cart_remove_item`)."""
    _check_quantity(quantity)
    cart = _locked_cart(user_id)
    line = _line(cart, product_id)
    if quantity > line.quantity and not line.product.is_purchasable:
        raise ApplicationError(
            "This product is no longer available; its quantity can only be lowered.",
            code=CartErrorCode.INACTIVE_PRODUCT,
            details={"product_id": [str(product_id)]},
        )
    line.quantity = quantity
    line.save(update_fields=["quantity", "updated_at"])
    _touch(cart)
    return line


@transaction.atomic
def cart_remove_item(*, user_id: uuid.UUID, product_id: uuid.UUID) -> None:
    cart = _locked_cart(user_id)
    _line(cart, product_id).delete()
    _touch(cart)


@transaction.atomic
def cart_clear(*, user_id: uuid.UUID) -> int:
    """Remove every line; returns how many there were."""
    cart = Cart.objects.select_for_update().filter(user_id=user_id).first()
    if cart is None:
        return 0
    removed, _ = cart.lines.all().delete()
    _touch(cart)
    return removed


def cart_keys_prune(*, now: datetime | None = None, batch_size: int = 1000) -> int:
    """Delete cart idempotency keys older than ``ORDER_IDEMPOTENCY_KEY_RETENTION_HOURS`` (in
    short batches, as checkout's); carts are untouched: a pruned key sent again adds again."""
    return prune_keys(
        CartIdempotencyKey,
        older_than_hours=settings.ORDERS["IDEMPOTENCY_KEY_RETENTION_HOURS"],
        now=now,
        batch_size=batch_size,
    )


def _locked_cart(user_id: uuid.UUID) -> Cart:
    """The user's cart, created on first use, locked for the rest of the transaction."""
    Cart.objects.get_or_create(user_id=user_id)  # get_or_create survives a concurrent create
    return Cart.objects.select_for_update().get(user_id=user_id)


def _purchasable_product(product_id: uuid.UUID) -> Product:
    product = product_get(product_id=product_id)
    if product is None:
        raise ApplicationError(
            "No product with this id is known.",
            code=CartErrorCode.UNKNOWN_PRODUCT,
            details={"product_id": [str(product_id)]},
        )
    if not product.is_purchasable:
        raise ApplicationError(
            "This product is not available for sale.",
            code=CartErrorCode.INACTIVE_PRODUCT,
            details={"product_id": [str(product_id)]},
        )
    return product


def _line(cart: Cart, product_id: uuid.UUID) -> CartLine:
    line = cart.lines.select_related("product").filter(product_id=product_id).first()
    if line is None:
        raise NotFound("This product is not in the cart.", code=CartErrorCode.LINE_NOT_FOUND)
    return line


def _check_quantity(quantity: int) -> None:
    maximum = _limit("CART_MAX_LINE_QUANTITY")
    if not 1 <= quantity <= maximum:
        raise ApplicationError(
            f"The quantity of a product must be between 1 and {maximum}.",
            code=CartErrorCode.QUANTITY_OUT_OF_RANGE,
            details={"quantity": [f"Ensure this value is between 1 and {maximum}."]},
        )


def _limit(name: str) -> int:
    return settings.ORDERS[name]


def _touch(cart: Cart) -> None:
    cart.save(update_fields=["updated_at"])
