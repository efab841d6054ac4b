"""Checkout idempotency keys are kept ORDER_IDEMPOTENCY_KEY_RETENTION_HOURS, then pruned in
batches by a beat task; a key sent again after that checks out anew."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from orders.carts.models import Cart
from orders.ordering.models import CheckoutIdempotencyKey, Order
from orders.ordering.services import checkout_keys_prune
from servicekit import idempotency
from tests.factories import ADDRESS, CartLineFactory, OrderFactory, ProductFactory

pytestmark = pytest.mark.django_db

BODY = {"shipping_address": ADDRESS}


@pytest.fixture
def retention(settings) -> int:
    settings.ORDERS = {**settings.ORDERS, "IDEMPOTENCY_KEY_RETENTION_HOURS": 24}
    return 24


def _key(
    age: timedelta, *, user_id: uuid.UUID | None = None, key: str | None = None
) -> CheckoutIdempotencyKey:
    order = OrderFactory(user_id=user_id or uuid.uuid4())
    row = CheckoutIdempotencyKey.objects.create(
        user_id=order.user_id, key=key or f"k-{uuid.uuid4()}", fingerprint="f" * 64, order=order
    )
    CheckoutIdempotencyKey.objects.filter(id=row.id).update(created_at=timezone.now() - age)
    return row


def test_keys_older_than_the_retention_are_deleted_and_their_orders_kept(retention):
    old = [_key(timedelta(hours=retention, minutes=1)) for _ in range(3)]
    fresh = _key(timedelta(hours=retention - 1))

    assert checkout_keys_prune() == 3

    assert list(CheckoutIdempotencyKey.objects.values_list("id", flat=True)) == [fresh.id]
    assert Order.objects.filter(id__in=[key.order_id for key in old]).count() == 3


def test_pruning_goes_batch_by_batch_until_done(retention):
    for _ in range(5):
        _key(timedelta(hours=retention + 1))
    fresh = _key(timedelta(minutes=1))

    assert checkout_keys_prune(batch_size=2) == 5

    assert list(CheckoutIdempotencyKey.objects.values_list("id", flat=True)) == [fresh.id]
    assert checkout_keys_prune(batch_size=2) == 0


def test_the_retention_comes_from_the_settings(settings):
    settings.ORDERS = {**settings.ORDERS, "IDEMPOTENCY_KEY_RETENTION_HOURS": 1}
    old = _key(timedelta(minutes=61))
    young = _key(timedelta(minutes=59))

    assert checkout_keys_prune() == 1

    assert set(CheckoutIdempotencyKey.objects.values_list("id", flat=True)) == {young.id}
    assert not CheckoutIdempotencyKey.objects.filter(id=old.id).exists()


def test_a_retention_of_zero_keeps_keys_forever(settings):
    settings.ORDERS = {**settings.ORDERS, "IDEMPOTENCY_KEY_RETENTION_HOURS": 0}
    _key(timedelta(days=365))

    assert checkout_keys_prune() == 0
    assert CheckoutIdempotencyKey.objects.count() == 1


def test_the_beat_task_prunes(retention):
    from orders.ordering.tasks import prune_idempotency_keys_task

    _key(timedelta(hours=retention + 1))

    assert prune_idempotency_keys_task.apply().get() == 1
    assert CheckoutIdempotencyKey.objects.count() == 0


def test_beat_schedules_only_registered_tasks():
    from orders.celery import app

    app.loader.import_default_modules()
    scheduled = {entry["task"] for entry in django_settings.CELERY_BEAT_SCHEDULE.values()}

    assert scheduled == {
        "orders.ordering.expire_unpaid_orders",
        "orders.ordering.prune_idempotency_keys",
        "orders.payments.refunds_dispatch_stale",
    }
    assert scheduled <= set(app.tasks)


# -- checking out with a pruned key ------------------------------------------------------------


def _fill_cart(client) -> None:
    cart, _ = Cart.objects.get_or_create(user_id=uuid.UUID(client.user_id))
    CartLineFactory(cart=cart, product=ProductFactory(price=Decimal("12.50")), quantity=2)


def _checkout(client, key="key-1"):
    return client.post("/api/v1/orders/", BODY, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_a_key_reused_after_pruning_checks_out_a_new_order(customer, retention, captured_events):
    _fill_cart(customer)
    first = _checkout(customer)
    assert _checkout(customer)["Idempotent-Replayed"] == "true"  # remembered: a replay
    CheckoutIdempotencyKey.objects.update(created_at=timezone.now() - timedelta(hours=retention + 1))
    assert checkout_keys_prune() == 1
    _fill_cart(customer)

    again = _checkout(customer)

    assert again.status_code == 201
    assert "Idempotent-Replayed" not in again
    assert again.json()["data"]["id"] != first.json()["data"]["id"]
    assert Order.objects.count() == 2
    assert len(captured_events.of_type("orders.order.placed")) == 2
    assert CheckoutIdempotencyKey.objects.get().order_id == uuid.UUID(again.json()["data"]["id"])


def test_a_key_pruned_while_a_request_looks_it_up_is_claimed_again(customer, retention, monkeypatch):
    _fill_cart(customer)
    first = _checkout(customer)
    _fill_cart(customer)
    original = idempotency._earlier_row

    def pruned_meanwhile(model, **kwargs):
        # The insert found the old key; the sweep deletes it before we read it.
        CheckoutIdempotencyKey.objects.all().delete()
        return original(model, **kwargs)

    monkeypatch.setattr(idempotency, "_earlier_row", pruned_meanwhile)

    again = _checkout(customer)

    assert again.status_code == 201
    assert "Idempotent-Replayed" not in again
    assert again.json()["data"]["id"] != first.json()["data"]["id"]
    assert CheckoutIdempotencyKey.objects.get().order_id == uuid.UUID(again.json()["data"]["id"])
