"""Cart writes and their validation."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from django.utils import timezone

from orders.carts.models import Cart, CartLine
from orders.carts.services import cart_add_item, cart_clear, cart_remove_item, cart_update_item_quantity
from servicekit.envelope.errors import ApplicationError, NotFound
from servicekit.testing.concurrency import results_concurrently
from tests.factories import CartLineFactory, ProductFactory

pytestmark = pytest.mark.django_db


def test_adding_a_product_creates_the_cart_and_a_line(user_id):
    product = ProductFactory()

    added = cart_add_item(user_id=user_id, product_id=product.id, quantity=2)

    assert added.is_new_line is True
    assert Cart.objects.get(user_id=user_id).lines.get().quantity == 2


def test_adding_the_same_product_again_raises_its_quantity(user_id):
    product = ProductFactory()
    cart_add_item(user_id=user_id, product_id=product.id, quantity=2)

    added = cart_add_item(user_id=user_id, product_id=product.id, quantity=3)

    assert added.is_new_line is False
    assert CartLine.objects.get().quantity == 5


def test_unknown_product_is_refused(user_id):
    with pytest.raises(ApplicationError) as error:
        cart_add_item(user_id=user_id, product_id=uuid.uuid4(), quantity=1)

    assert error.value.code == "unknown_product"
    assert CartLine.objects.count() == 0


@pytest.mark.parametrize("change", [{"is_active": False}, {"deleted_at": timezone.now()}])
def test_inactive_or_deleted_product_is_refused(user_id, change):
    product = ProductFactory(**change)

    with pytest.raises(ApplicationError) as error:
        cart_add_item(user_id=user_id, product_id=product.id, quantity=1)

    assert error.value.code == "inactive_product"
    assert CartLine.objects.count() == 0


@pytest.mark.parametrize("quantity", [0, -1, 100])
def test_quantity_outside_the_bounds_is_refused(user_id, quantity):
    product = ProductFactory()

    with pytest.raises(ApplicationError) as error:
        cart_add_item(user_id=user_id, product_id=product.id, quantity=quantity)

    assert error.value.code == "quantity_out_of_range"
    assert error.value.details["quantity"]
    assert CartLine.objects.count() == 0


@pytest.mark.parametrize("quantity", [0, -1])
def test_adding_a_quantity_below_one_to_a_line_is_refused_and_changes_nothing(user_id, quantity):
    product = ProductFactory()
    cart_add_item(user_id=user_id, product_id=product.id, quantity=2)

    with pytest.raises(ApplicationError) as error:
        cart_add_item(user_id=user_id, product_id=product.id, quantity=quantity)

    assert error.value.code == "quantity_out_of_range"
    assert list(error.value.details) == ["quantity"]
    assert CartLine.objects.get().quantity == 2


def test_adding_beyond_the_bound_in_several_steps_is_refused(user_id):
    product = ProductFactory()
    cart_add_item(user_id=user_id, product_id=product.id, quantity=98)

    with pytest.raises(ApplicationError) as error:
        cart_add_item(user_id=user_id, product_id=product.id, quantity=2)

    assert error.value.code == "quantity_out_of_range"
    assert CartLine.objects.get().quantity == 98


def test_the_bound_comes_from_settings(user_id, settings):
    settings.ORDERS = {**settings.ORDERS, "CART_MAX_LINE_QUANTITY": 3}
    product = ProductFactory()

    with pytest.raises(ApplicationError):
        cart_add_item(user_id=user_id, product_id=product.id, quantity=4)
    cart_add_item(user_id=user_id, product_id=product.id, quantity=3)


def test_a_product_in_another_currency_is_refused(user_id):
    cart_add_item(user_id=user_id, product_id=ProductFactory(currency="USD").id, quantity=1)
    euro_product = ProductFactory(currency="EUR")

    with pytest.raises(ApplicationError) as error:
        cart_add_item(user_id=user_id, product_id=euro_product.id, quantity=1)

    assert error.value.code == "currency_mismatch"
    assert CartLine.objects.count() == 1


def test_a_full_cart_refuses_another_product(user_id, settings):
    settings.ORDERS = {**settings.ORDERS, "CART_MAX_LINES": 2}
    for _ in range(2):
        cart_add_item(user_id=user_id, product_id=ProductFactory().id, quantity=1)

    with pytest.raises(ApplicationError) as error:
        cart_add_item(user_id=user_id, product_id=ProductFactory().id, quantity=1)

    assert error.value.code == "cart_full"
    assert CartLine.objects.count() == 2


def test_update_sets_the_quantity():
    line = CartLineFactory(quantity=5)

    cart_update_item_quantity(user_id=line.cart.user_id, product_id=line.product_id, quantity=2)

    line.refresh_from_db()
    assert line.quantity == 2


@pytest.mark.parametrize("quantity", [0, 100])
def test_update_outside_the_bounds_is_refused(quantity):
    line = CartLineFactory(quantity=5)

    with pytest.raises(ApplicationError) as error:
        cart_update_item_quantity(user_id=line.cart.user_id, product_id=line.product_id, quantity=quantity)

    assert error.value.code == "quantity_out_of_range"
    line.refresh_from_db()
    assert line.quantity == 5


def test_an_unavailable_product_may_be_lowered_but_not_raised():
    line = CartLineFactory(quantity=5, product__is_active=False)
    user_id = line.cart.user_id

    cart_update_item_quantity(user_id=user_id, product_id=line.product_id, quantity=3)
    with pytest.raises(ApplicationError) as error:
        cart_update_item_quantity(user_id=user_id, product_id=line.product_id, quantity=4)

    assert error.value.code == "inactive_product"
    line.refresh_from_db()
    assert line.quantity == 3


def test_update_of_a_product_not_in_the_cart_is_not_found():
    line = CartLineFactory()

    with pytest.raises(NotFound):
        cart_update_item_quantity(user_id=line.cart.user_id, product_id=ProductFactory().id, quantity=1)


def test_remove_deletes_only_that_line():
    line = CartLineFactory()
    other = CartLineFactory(cart=line.cart)

    cart_remove_item(user_id=line.cart.user_id, product_id=line.product_id)

    assert list(CartLine.objects.values_list("id", flat=True)) == [other.id]


def test_remove_of_a_product_not_in_the_cart_is_not_found(user_id):
    with pytest.raises(NotFound):
        cart_remove_item(user_id=user_id, product_id=uuid.uuid4())


def test_clear_empties_only_this_users_cart():
    line = CartLineFactory()
    CartLineFactory(cart=line.cart)
    someone_elses = CartLineFactory()

    removed = cart_clear(user_id=line.cart.user_id)

    assert removed == 2
    assert list(CartLine.objects.values_list("id", flat=True)) == [someone_elses.id]


def test_prices_are_not_stored_in_the_cart(user_id):
    product = ProductFactory(price=Decimal("4.00"))
    cart_add_item(user_id=user_id, product_id=product.id, quantity=1)

    assert "price" not in {field.name for field in CartLine._meta.get_fields()}


@pytest.mark.django_db(transaction=True)
def test_concurrent_additions_of_one_product_to_a_new_cart_make_one_line():
    """The first additions race to create the cart and the line: one cart, one line, all counted."""
    user_id, product = uuid.uuid4(), ProductFactory()

    results = results_concurrently(
        [lambda: cart_add_item(user_id=user_id, product_id=product.id, quantity=2)] * 6
    )

    assert all(not isinstance(result, Exception) for result in results), results
    assert sorted(result.is_new_line for result in results) == [False] * 5 + [True]
    assert CartLine.objects.get(cart__user_id=user_id).quantity == 12
