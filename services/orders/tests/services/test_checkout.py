"""Checkout: cart → pending order, once per idempotency key, with orders.order.placed."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from orders.carts.models import Cart, CartLine
from orders.ordering.models import CheckoutIdempotencyKey, Order, OrderStatus
from orders.ordering.services import order_checkout
from servicekit.envelope.errors import ApplicationError, Conflict
from servicekit.events.models import OutboxEvent
from servicekit.idempotency import body_fingerprint
from servicekit.testing.concurrency import results_concurrently
from tests.factories import ADDRESS, CartLineFactory, ProductFactory

BODY = {"shipping_address": ADDRESS}


def _checkout(user_id, key="key-1", body=BODY):
    return order_checkout(
        user_id=user_id,
        idempotency_key=key,
        fingerprint=body_fingerprint(body),
        shipping_address=body["shipping_address"],
    )


def _cart_with(user_id, *products_and_quantities):
    cart, _ = Cart.objects.get_or_create(user_id=user_id)
    for product, quantity in products_and_quantities:
        CartLineFactory(cart=cart, product=product, quantity=quantity)
    return cart


@pytest.mark.django_db
def test_checkout_snapshots_the_cart_into_a_pending_order_and_empties_it(user_id, captured_events):
    mug = ProductFactory(name="Mug", sku="MUG", price=Decimal("12.50"))
    tee = ProductFactory(name="Tee", sku="TEE", price=Decimal("20.00"))
    _cart_with(user_id, (mug, 2), (tee, 1))

    result = _checkout(user_id)

    order = result.order
    assert result.is_replay is False
    assert (order.status, order.currency, order.total) == (OrderStatus.PENDING, "USD", Decimal("45.00"))
    assert order.shipping_address == ADDRESS
    assert [
        (line.sku, line.name, line.unit_price, line.quantity, line.line_total) for line in order.lines.all()
    ] == [
        ("MUG", "Mug", Decimal("12.50"), 2, Decimal("25.00")),
        ("TEE", "Tee", Decimal("20.00"), 1, Decimal("20.00")),
    ]
    assert CartLine.objects.count() == 0
    assert [(c.from_status, c.to_status, c.actor) for c in order.status_changes.all()] == [
        ("", "pending", "customer")
    ]

    event = captured_events.assert_published("orders.order.placed")
    assert event.subject == str(order.id)
    assert event.data["total"] == "45.00"
    assert event.data["currency"] == "USD"
    assert event.data["user_id"] == str(user_id)
    assert event.data["lines"][0] == {
        "product_id": str(mug.id),
        "sku": "MUG",
        "name": "Mug",
        "quantity": 2,
        "unit_price": "12.50",
        "currency": "USD",
    }


@pytest.mark.django_db
def test_later_price_changes_do_not_touch_the_order(user_id):
    mug = ProductFactory(price=Decimal("12.50"))
    _cart_with(user_id, (mug, 1))
    order = _checkout(user_id).order

    mug.price = Decimal("99.00")
    mug.save()

    order.refresh_from_db()
    assert order.total == Decimal("12.50")
    assert order.lines.get().unit_price == Decimal("12.50")


@pytest.mark.django_db
def test_same_key_and_body_returns_the_same_order_without_a_second_event(user_id, captured_events):
    _cart_with(user_id, (ProductFactory(), 1))
    first = _checkout(user_id)
    CartLineFactory(cart__user_id=uuid.uuid4())  # unrelated activity in between

    again = _checkout(user_id, body={"shipping_address": dict(reversed(list(ADDRESS.items())))})

    assert again.is_replay is True
    assert again.order.id == first.order.id
    assert Order.objects.count() == 1
    assert len(captured_events.of_type("orders.order.placed")) == 1


@pytest.mark.django_db
def test_same_key_with_another_body_is_a_conflict(user_id, captured_events):
    _cart_with(user_id, (ProductFactory(), 1))
    first = _checkout(user_id)
    _cart_with(user_id, (ProductFactory(), 1))

    with pytest.raises(Conflict) as error:
        _checkout(user_id, body={"shipping_address": {**ADDRESS, "city": "Paris"}})

    assert error.value.code == "idempotency_key_reused"
    assert error.value.details["order_id"] == str(first.order.id)
    assert Order.objects.count() == 1
    assert len(captured_events.of_type("orders.order.placed")) == 1
    assert CartLine.objects.count() == 1  # the new cart is untouched


@pytest.mark.django_db
def test_keys_are_scoped_per_user():
    alice, bob = uuid.uuid4(), uuid.uuid4()
    _cart_with(alice, (ProductFactory(), 1))
    _cart_with(bob, (ProductFactory(), 1))

    orders = {_checkout(alice, key="same").order.id, _checkout(bob, key="same").order.id}

    assert len(orders) == 2


@pytest.mark.django_db
def test_empty_cart_is_refused_and_the_key_stays_usable(user_id, captured_events):
    with pytest.raises(ApplicationError) as error:
        _checkout(user_id)

    assert error.value.code == "cart_empty"
    assert Order.objects.count() == 0
    assert CheckoutIdempotencyKey.objects.count() == 0
    captured_events.assert_nothing_published()

    _cart_with(user_id, (ProductFactory(), 1))
    assert _checkout(user_id).is_replay is False


@pytest.mark.django_db
def test_a_product_that_became_unavailable_blocks_checkout(user_id, captured_events):
    gone = ProductFactory(is_active=False)
    _cart_with(user_id, (ProductFactory(), 1), (gone, 1))

    with pytest.raises(ApplicationError) as error:
        _checkout(user_id)

    assert error.value.code == "product_unavailable"
    assert error.value.details == {"product_ids": [str(gone.id)]}
    assert (Order.objects.count(), CartLine.objects.count(), captured_events.types) == (0, 2, [])


@pytest.mark.django_db
def test_mixed_currencies_block_checkout(user_id, captured_events):
    _cart_with(user_id, (ProductFactory(currency="USD"), 1), (ProductFactory(currency="EUR"), 1))

    with pytest.raises(ApplicationError) as error:
        _checkout(user_id)

    assert error.value.code == "currency_mismatch"
    assert (Order.objects.count(), captured_events.types) == (0, [])


@pytest.mark.django_db
def test_a_quantity_above_a_lowered_bound_blocks_checkout(user_id, settings, captured_events):
    _cart_with(user_id, (ProductFactory(), 10))
    settings.ORDERS = {**settings.ORDERS, "CART_MAX_LINE_QUANTITY": 5}

    with pytest.raises(ApplicationError) as error:
        _checkout(user_id)

    assert error.value.code == "quantity_out_of_range"
    assert (Order.objects.count(), captured_events.types) == (0, [])


# -- concurrency: real threads, real transactions ---------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_concurrent_checkouts_with_one_key_make_exactly_one_order(user_id):
    _cart_with(user_id, (ProductFactory(), 2))

    results = results_concurrently([lambda: _checkout(user_id, key="double-click")] * 5)

    assert all(not isinstance(result, Exception) for result in results), results
    assert len({result.order.id for result in results}) == 1
    assert sorted(result.is_replay for result in results) == [False, True, True, True, True]
    assert Order.objects.count() == 1
    assert OutboxEvent.objects.filter(type="orders.order.placed").count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_checkouts_with_different_keys_order_the_cart_once(user_id):
    _cart_with(user_id, (ProductFactory(), 1))

    results = results_concurrently([lambda: _checkout(user_id, key="a"), lambda: _checkout(user_id, key="b")])

    errors = [result for result in results if isinstance(result, Exception)]
    assert len(errors) == 1 and getattr(errors[0], "code", None) == "cart_empty", results
    assert Order.objects.count() == 1
    assert OutboxEvent.objects.filter(type="orders.order.placed").count() == 1


@pytest.mark.django_db
def test_a_total_too_large_to_store_blocks_checkout_instead_of_failing(user_id, captured_events):
    """Prices go up to 9999999999.99 USD (catalog's column too): two of those overflow the total."""
    _cart_with(user_id, (ProductFactory(price=Decimal("9999999999.0000")), 2))

    with pytest.raises(ApplicationError) as error:
        _checkout(user_id)

    assert error.value.code == "amount_too_large"
    assert error.value.details == {"total": ["19999999998.00"]}
    assert (Order.objects.count(), CartLine.objects.count(), captured_events.types) == (0, 1, [])
    assert not CheckoutIdempotencyKey.objects.exists()  # the key was not used up


@pytest.mark.django_db
def test_the_largest_storable_total_checks_out(user_id):
    _cart_with(user_id, (ProductFactory(price=Decimal("4999999999.99")), 2))

    result = _checkout(user_id)

    assert result.order.total == Decimal("9999999999.98")
