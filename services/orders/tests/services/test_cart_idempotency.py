"""cart_add_item with an idempotency key: once per key and user; the keys are pruned like checkout's."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from orders.carts.models import CartIdempotencyKey, CartLine
from orders.carts.services import cart_add_item, cart_keys_prune
from orders.ordering.models import CheckoutIdempotencyKey
from servicekit.envelope.errors import ApplicationError
from servicekit.idempotency import body_fingerprint
from servicekit.testing.concurrency import results_concurrently
from tests.factories import OrderFactory, ProductFactory


def _add(user_id, product, quantity=2, key="key-1"):
    body = {"product_id": str(product.id), "quantity": quantity}
    return cart_add_item(
        user_id=user_id,
        product_id=product.id,
        quantity=quantity,
        idempotency_key=key,
        fingerprint=body_fingerprint(body),
    )


@pytest.mark.django_db
def test_the_same_key_and_body_replays_what_the_first_add_did(user_id):
    mug = ProductFactory()

    first, again = _add(user_id, mug), _add(user_id, mug)

    assert (first.is_new_line, first.is_replay) == (True, False)
    assert (again.is_new_line, again.is_replay) == (True, True)
    assert again.line == first.line
    assert CartLine.objects.get().quantity == 2
    key = CartIdempotencyKey.objects.get()
    assert (key.user_id, key.key, key.product_id, key.is_new_line) == (user_id, "key-1", mug.id, True)


@pytest.mark.django_db
def test_the_same_key_with_another_body_is_refused_naming_the_key(user_id):
    mug = ProductFactory()
    _add(user_id, mug)

    with pytest.raises(ApplicationError) as raised:
        _add(user_id, mug, quantity=3)

    assert (raised.value.status_code, raised.value.code) == (409, "idempotency_key_reused")
    assert raised.value.details["idempotency_key"] == ["key-1"]
    assert CartLine.objects.get().quantity == 2


@pytest.mark.django_db
def test_a_failed_add_rolls_its_key_back(user_id):
    mug = ProductFactory()

    with pytest.raises(ApplicationError):
        _add(user_id, mug, quantity=0)

    assert not CartIdempotencyKey.objects.exists()
    assert _add(user_id, mug).is_replay is False


@pytest.mark.django_db
def test_without_a_key_nothing_is_remembered(user_id):
    mug = ProductFactory()

    added = [cart_add_item(user_id=user_id, product_id=mug.id, quantity=1) for _ in range(2)]

    assert [(a.is_new_line, a.is_replay) for a in added] == [(True, False), (False, False)]
    assert CartLine.objects.get().quantity == 2
    assert not CartIdempotencyKey.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_adds_with_one_key_add_exactly_once():
    user_id, mug = uuid.uuid4(), ProductFactory()

    results = results_concurrently([lambda: _add(user_id, mug, key="double-click")] * 5)

    assert all(not isinstance(result, Exception) for result in results), results
    assert sorted(result.is_replay for result in results) == [False, True, True, True, True]
    assert {result.is_new_line for result in results} == {True}
    assert CartLine.objects.get(cart__user_id=user_id).quantity == 2
    assert CartIdempotencyKey.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_adds_with_one_key_and_different_bodies_add_one_and_refuse_the_others():
    user_id, mug = uuid.uuid4(), ProductFactory()

    results = results_concurrently([lambda q=q: _add(user_id, mug, quantity=q, key="k") for q in (1, 2, 3)])

    added = [result for result in results if not isinstance(result, Exception)]
    refused = [result for result in results if isinstance(result, Exception)]
    assert len(added) == 1 and added[0].is_replay is False, results
    assert [getattr(error, "code", None) for error in refused] == ["idempotency_key_reused"] * 2, results
    assert CartLine.objects.get(cart__user_id=user_id).quantity == added[0].line.quantity


# -- pruning ------------------------------------------------------------------------------------


@pytest.fixture
def retention(settings) -> int:
    settings.ORDERS = {**settings.ORDERS, "IDEMPOTENCY_KEY_RETENTION_HOURS": 24}
    return 24


def _key(age: timedelta) -> CartIdempotencyKey:
    row = CartIdempotencyKey.objects.create(
        user_id=uuid.uuid4(), key=f"k-{uuid.uuid4()}", fingerprint="f" * 64, product_id=uuid.uuid4()
    )
    CartIdempotencyKey.objects.filter(id=row.id).update(created_at=timezone.now() - age)
    return row


@pytest.mark.django_db
def test_keys_older_than_the_retention_are_deleted_batch_by_batch(retention):
    for _ in range(5):
        _key(timedelta(hours=retention, minutes=1))
    fresh = _key(timedelta(hours=retention - 1))

    assert cart_keys_prune(batch_size=2) == 5

    assert list(CartIdempotencyKey.objects.values_list("id", flat=True)) == [fresh.id]
    assert cart_keys_prune(batch_size=2) == 0


@pytest.mark.django_db
def test_pruning_leaves_the_carts_alone(user_id, retention):
    mug = ProductFactory()
    _add(user_id, mug)
    CartIdempotencyKey.objects.update(created_at=timezone.now() - timedelta(hours=retention + 1))

    assert cart_keys_prune() == 1

    assert CartLine.objects.get().quantity == 2


@pytest.mark.django_db
def test_a_retention_of_zero_keeps_cart_keys_forever(settings):
    settings.ORDERS = {**settings.ORDERS, "IDEMPOTENCY_KEY_RETENTION_HOURS": 0}
    _key(timedelta(days=365))

    assert cart_keys_prune() == 0
    assert CartIdempotencyKey.objects.count() == 1


@pytest.mark.django_db
def test_the_beat_task_prunes_cart_and_checkout_keys(retention):
    from orders.ordering.tasks import prune_idempotency_keys_task

    old_cart_key, fresh_cart_key = _key(timedelta(hours=retention + 1)), _key(timedelta(minutes=5))
    order = OrderFactory()
    checkout_key = CheckoutIdempotencyKey.objects.create(
        user_id=order.user_id, key="c", fingerprint="f" * 64, order=order
    )
    CheckoutIdempotencyKey.objects.filter(id=checkout_key.id).update(
        created_at=timezone.now() - timedelta(hours=retention + 1)
    )

    assert prune_idempotency_keys_task.apply().get() == 2

    assert list(CartIdempotencyKey.objects.values_list("id", flat=True)) == [fresh_cart_key.id]
    assert not CartIdempotencyKey.objects.filter(id=old_cart_key.id).exists()
    assert not CheckoutIdempotencyKey.objects.exists()
