"""Cart reads: every line priced from the product read model at read time."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from orders.carts.models import Cart, CartLine


@dataclass(frozen=True)
class CartLineView:
    product_id: uuid.UUID
    sku: str
    name: str
    unit_price: Decimal
    currency: str
    quantity: int
    line_total: Decimal
    is_available: bool
    added_at: datetime


@dataclass(frozen=True)
class CurrencyTotal:
    currency: str
    amount: Decimal


@dataclass(frozen=True)
class CartView:
    user_id: uuid.UUID
    lines: list[CartLineView] = field(default_factory=list)
    totals: list[CurrencyTotal] = field(default_factory=list)
    updated_at: datetime | None = None

    @property
    def item_count(self) -> int:
        return sum(line.quantity for line in self.lines)

    @property
    def is_empty(self) -> bool:
        return not self.lines

    @property
    def unavailable_product_ids(self) -> list[uuid.UUID]:
        return [line.product_id for line in self.lines if not line.is_available]


def cart_get(*, user_id: uuid.UUID) -> CartView:
    """The user's cart with current prices and per-currency totals (empty if never used)."""
    cart = Cart.objects.filter(user_id=user_id).first()
    if cart is None:
        return CartView(user_id=user_id)
    lines = list(cart_lines(cart=cart))
    return CartView(
        user_id=user_id,
        lines=[_line_view(line) for line in lines],
        totals=_totals(lines),
        updated_at=cart.updated_at,
    )


def cart_lines(*, cart: Cart):
    return CartLine.objects.filter(cart=cart).select_related("product").order_by("added_at", "id")


def _line_view(line: CartLine) -> CartLineView:
    product = line.product
    return CartLineView(
        product_id=product.id,
        sku=product.sku,
        name=product.name,
        unit_price=product.price,
        currency=product.currency,
        quantity=line.quantity,
        line_total=product.price * line.quantity,
        is_available=product.is_purchasable,
        added_at=line.added_at,
    )


def _totals(lines: list[CartLine]) -> list[CurrencyTotal]:
    """Totals per currency over the lines that can be bought."""
    sums: dict[str, Decimal] = defaultdict(Decimal)
    for line in lines:
        if line.product.is_purchasable:
            sums[line.product.currency] += line.product.price * line.quantity
    return [CurrencyTotal(currency=currency, amount=amount) for currency, amount in sorted(sums.items())]
