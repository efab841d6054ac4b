"""Cart writes: add, change quantity, remove, clear. Prices are never stored in the cart."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

from orders.carts.errors import CartErrorCode
from orders.carts.models import Cart, CartLine
from orders.products.models import Product
from orders.products.selectors import product_get
from servicekit.envelope.errors import ApplicationError, NotFound


@dataclass(frozen=True)
class CartItemAdded:
    line: CartLine
    is_new_line: bool


@transaction.atomic
def cart_add_item(*, user_id: uuid.UUID, product_id: uuid.UUID, quantity: int) -> CartItemAdded:
    """Add ``quantity`` of a product; adding a product already in the cart raises its quantity.

    ``quantity`` itself must be in bounds, not only the line's new total: adding 0 would do
    nothing and a negative number would lower the line (that is ``cart_update_item_quantity``).
    """
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
