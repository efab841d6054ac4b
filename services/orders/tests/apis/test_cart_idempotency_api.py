"""POST /api/v1/cart/items/ with an Idempotency-Key: a retried add adds nothing twice."""

from __future__ import annotations

import uuid
from datetime import timedelta
from functools import partial

import pytest
from django.utils import timezone

from orders.carts.models import CartIdempotencyKey, CartLine
from orders.carts.services import cart_keys_prune
from orders.products.models import Product
from servicekit.testing.concurrency import results_concurrently
from tests.factories import CartLineFactory, ProductFactory

CART = "/api/v1/cart/"
ITEMS = "/api/v1/cart/items/"


def _add(client, body, key: str | None = "add-1"):
    headers = {} if key is None else {"HTTP_IDEMPOTENCY_KEY": key}
    return client.post(ITEMS, body, format="json", **headers)


def _quantity(client, product) -> int | None:
    line = CartLine.objects.filter(cart__user_id=client.user_id, product=product).first()
    return line.quantity if line else None


@pytest.mark.django_db
def test_a_retried_add_answers_the_first_answer_and_adds_nothing(customer):
    mug = ProductFactory()
    body = {"product_id": str(mug.id), "quantity": 2}

    first = _add(customer, body)
    retry = _add(customer, body)

    assert (first.status_code, retry.status_code) == (201, 201)
    assert "Idempotent-Replayed" not in first
    assert retry["Idempotent-Replayed"] == "true"
    assert retry.json()["data"] == first.json()["data"]
    assert retry.json()["data"]["lines"][0]["quantity"] == 2
    assert _quantity(customer, mug) == 2
    assert CartIdempotencyKey.objects.get().is_new_line is True


@pytest.mark.django_db
def test_a_retried_add_to_a_line_already_there_answers_200_again(customer):
    mug = ProductFactory()
    CartLineFactory(cart__user_id=customer.user_id, product=mug, quantity=1)
    body = {"product_id": str(mug.id), "quantity": 2}

    first = _add(customer, body)
    retry = _add(customer, body)

    assert (first.status_code, retry.status_code) == (200, 200)
    assert retry["Idempotent-Replayed"] == "true"
    assert _quantity(customer, mug) == 3


@pytest.mark.django_db
def test_a_replay_shows_the_line_as_it_is_now(customer):
    mug = ProductFactory()
    body = {"product_id": str(mug.id), "quantity": 2}
    _add(customer, body)
    customer.patch(f"{ITEMS}{mug.id}/", {"quantity": 5}, format="json")

    retry = _add(customer, body)

    assert retry.status_code == 201
    assert [line["quantity"] for line in retry.json()["data"]["lines"]] == [5]
    assert _quantity(customer, mug) == 5


@pytest.mark.django_db
def test_a_replay_still_answers_when_its_line_was_removed_or_its_product_withdrawn(customer):
    mug, tee = ProductFactory(), ProductFactory()
    _add(customer, {"product_id": str(mug.id), "quantity": 1}, key="mug")
    _add(customer, {"product_id": str(tee.id), "quantity": 1}, key="tee")
    customer.delete(f"{ITEMS}{mug.id}/")
    Product.objects.filter(id=tee.id).update(is_active=False)

    mug_again = _add(customer, {"product_id": str(mug.id), "quantity": 1}, key="mug")
    tee_again = _add(customer, {"product_id": str(tee.id), "quantity": 1}, key="tee")

    assert (mug_again.status_code, tee_again.status_code) == (201, 201)
    assert _quantity(customer, mug) is None  # the removed line is not brought back
    assert [line["product_id"] for line in tee_again.json()["data"]["lines"]] == [str(tee.id)]


@pytest.mark.django_db
def test_key_order_and_spacing_of_the_body_do_not_count(customer):
    mug = ProductFactory()
    _add(customer, {"product_id": str(mug.id), "quantity": 2})

    retry = customer.post(
        ITEMS,
        data=f'{{ "quantity" : 2, "product_id" : "{mug.id}" }}',
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="add-1",
    )

    assert (retry.status_code, retry["Idempotent-Replayed"]) == (201, "true")
    assert _quantity(customer, mug) == 2


@pytest.mark.django_db
@pytest.mark.parametrize(
    "other_body",
    [
        lambda mug, tee: {"product_id": str(mug.id), "quantity": 3},
        lambda mug, tee: {"product_id": str(tee.id), "quantity": 2},
    ],
    ids=["other-quantity", "other-product"],
)
def test_the_same_key_with_another_body_is_409(customer, other_body):
    mug, tee = ProductFactory(), ProductFactory()
    _add(customer, {"product_id": str(mug.id), "quantity": 2}, key="k-409")

    response = _add(customer, other_body(mug, tee), key="k-409")

    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "idempotency_key_reused"
    assert error["details"]["idempotency_key"] == ["k-409"]
    assert (_quantity(customer, mug), _quantity(customer, tee)) == (2, None)
    assert CartIdempotencyKey.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("failing_body", "code"),
    [
        (lambda mug: {"product_id": str(uuid.uuid4()), "quantity": 1}, "unknown_product"),
        (lambda mug: {"product_id": str(mug.id), "quantity": 0}, "quantity_out_of_range"),
        (lambda mug: {"product_id": str(mug.id), "quantity": 100}, "quantity_out_of_range"),
        (lambda mug: {"product_id": "not-a-uuid"}, "validation_error"),
    ],
    ids=["unknown-product", "zero", "too-many", "invalid-body"],
)
def test_a_failed_add_leaves_its_key_unused(customer, failing_body, code):
    mug = ProductFactory()

    failed = _add(customer, failing_body(mug), key="k-fail")
    assert (failed.status_code, failed.json()["error"]["code"]) == (400, code)
    assert not CartIdempotencyKey.objects.exists()

    then = _add(customer, {"product_id": str(mug.id), "quantity": 1}, key="k-fail")

    assert then.status_code == 201
    assert "Idempotent-Replayed" not in then
    assert _quantity(customer, mug) == 1


@pytest.mark.django_db
def test_a_failed_add_to_a_line_that_would_overflow_leaves_its_key_unused(customer):
    mug = ProductFactory()
    CartLineFactory(cart__user_id=customer.user_id, product=mug, quantity=98)

    failed = _add(customer, {"product_id": str(mug.id), "quantity": 2}, key="k-over")
    customer.patch(f"{ITEMS}{mug.id}/", {"quantity": 1}, format="json")
    then = _add(customer, {"product_id": str(mug.id), "quantity": 2}, key="k-over")

    assert (failed.status_code, failed.json()["error"]["code"]) == (400, "quantity_out_of_range")
    assert (then.status_code, _quantity(customer, mug)) == (200, 3)


@pytest.mark.django_db
def test_another_users_identical_key_is_theirs(customer, other_customer):
    mug = ProductFactory()
    body = {"product_id": str(mug.id), "quantity": 2}
    _add(customer, body, key="shared")

    theirs = _add(other_customer, body, key="shared")
    their_other_body = _add(other_customer, {"product_id": str(mug.id), "quantity": 1}, key="mine-only")

    assert theirs.status_code == 201
    assert "Idempotent-Replayed" not in theirs
    assert their_other_body.status_code == 200
    assert (_quantity(customer, mug), _quantity(other_customer, mug)) == (2, 3)
    assert CartIdempotencyKey.objects.filter(key="shared").count() == 2


@pytest.mark.django_db
def test_without_the_header_every_add_adds(customer):
    mug = ProductFactory()
    body = {"product_id": str(mug.id), "quantity": 2}

    first, second = _add(customer, body, key=None), _add(customer, body, key=None)

    assert (first.status_code, second.status_code) == (201, 200)
    assert "Idempotent-Replayed" not in second
    assert _quantity(customer, mug) == 4
    assert not CartIdempotencyKey.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "key", ["   ", "k" * 256, "two words", "ключ"], ids=["blank", "too-long", "space", "non-ascii"]
)
def test_a_malformed_key_is_a_validation_error(customer, key):
    mug = ProductFactory()

    response = _add(customer, {"product_id": str(mug.id), "quantity": 1}, key=key)

    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], list(error["details"])) == ("validation_error", ["idempotency_key"])
    assert _quantity(customer, mug) is None


@pytest.mark.django_db
def test_a_key_sent_empty_is_no_key(customer):
    mug = ProductFactory()
    body = {"product_id": str(mug.id), "quantity": 1}

    statuses = [_add(customer, body, key="").status_code for _ in range(2)]

    assert statuses == [201, 200]
    assert _quantity(customer, mug) == 2


@pytest.mark.django_db(transaction=True)
def test_concurrent_adds_with_one_key_add_once(client_for):
    user_id = uuid.uuid4()
    mug = ProductFactory()
    body = {"product_id": str(mug.id), "quantity": 2}
    clients = [client_for(user_id) for _ in range(5)]

    responses = results_concurrently([partial(_add, client, body, "double-click") for client in clients])

    assert all(not isinstance(response, Exception) for response in responses), responses
    assert [response.status_code for response in responses] == [201] * 5
    assert (
        sorted(response.has_header("Idempotent-Replayed") for response in responses) == [False] + [True] * 4
    )
    assert CartLine.objects.get(cart__user_id=user_id).quantity == 2
    assert CartIdempotencyKey.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_adds_with_different_keys_each_add(client_for):
    user_id = uuid.uuid4()
    mug = ProductFactory()
    body = {"product_id": str(mug.id), "quantity": 1}
    clients = [client_for(user_id) for _ in range(4)]

    responses = results_concurrently(
        [partial(_add, client, body, f"k-{n}") for n, client in enumerate(clients)]
    )

    assert all(not isinstance(response, Exception) for response in responses), responses
    assert sorted(response.status_code for response in responses) == [200, 200, 200, 201]
    assert CartLine.objects.get(cart__user_id=user_id).quantity == 4


@pytest.mark.django_db
def test_a_key_pruned_after_the_retention_adds_again(customer, settings):
    settings.ORDERS = {**settings.ORDERS, "IDEMPOTENCY_KEY_RETENTION_HOURS": 24}
    mug = ProductFactory()
    body = {"product_id": str(mug.id), "quantity": 2}
    _add(customer, body)
    CartIdempotencyKey.objects.update(created_at=timezone.now() - timedelta(hours=25))
    assert cart_keys_prune() == 1

    again = _add(customer, body)

    assert again.status_code == 200
    assert "Idempotent-Replayed" not in again
    assert _quantity(customer, mug) == 4
