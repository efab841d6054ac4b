"""The cart as read: current prices from the read model, totals per currency."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from orders.carts.selectors import cart_get
from tests.factories import CartFactory, CartLineFactory

pytestmark = pytest.mark.django_db


def test_a_user_without_a_cart_sees_an_empty_one():
    cart = cart_get(user_id=uuid.uuid4())

    assert (cart.lines, cart.totals, cart.item_count) == ([], [], 0)


def test_lines_show_the_current_price_and_totals_add_up():
    cart = CartFactory()
    mug = CartLineFactory(cart=cart, quantity=3, product__price=Decimal("12.50"))
    CartLineFactory(cart=cart, quantity=1, product__price=Decimal("0.99"))

    view = cart_get(user_id=cart.user_id)

    assert [line.line_total for line in view.lines] == [Decimal("37.50"), Decimal("0.99")]
    assert [(total.currency, total.amount) for total in view.totals] == [("USD", Decimal("38.49"))]
    assert view.item_count == 4

    mug.product.price = Decimal("10.00")
    mug.product.save()
    assert cart_get(user_id=cart.user_id).lines[0].unit_price == Decimal("10.00")


def test_totals_are_per_currency():
    cart = CartFactory()
    CartLineFactory(cart=cart, quantity=2, product__price=Decimal("5.00"), product__currency="USD")
    # Possible when catalog changes a product's currency after it was added.
    CartLineFactory(cart=cart, quantity=1, product__price=Decimal("7.00"), product__currency="EUR")

    view = cart_get(user_id=cart.user_id)

    assert [(total.currency, total.amount) for total in view.totals] == [
        ("EUR", Decimal("7.00")),
        ("USD", Decimal("10.00")),
    ]


def test_unavailable_lines_are_flagged_and_left_out_of_totals():
    cart = CartFactory()
    CartLineFactory(cart=cart, product__price=Decimal("5.00"))
    gone = CartLineFactory(cart=cart, product__price=Decimal("9.00"), product__is_active=False)

    view = cart_get(user_id=cart.user_id)

    assert [line.is_available for line in view.lines] == [True, False]
    assert view.unavailable_product_ids == [gone.product_id]
    assert [total.amount for total in view.totals] == [Decimal("5.00")]
