"""/api/v1/orders/: checkout with Idempotency-Key, history, detail, cancel, ship, complete."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from decimal import Decimal
from functools import partial

import pytest
from django.utils import timezone

from orders.carts.models import Cart, CartLine
from orders.ordering.models import Order, OrderStatus
from servicekit.events.models import OutboxEvent
from servicekit.testing.concurrency import results_concurrently
from tests.factories import ADDRESS, CartLineFactory, OrderFactory, PaymentFactory, ProductFactory

ORDERS = "/api/v1/orders/"
BODY = {"shipping_address": ADDRESS}


def _fill_cart(client, *products):
    cart, _ = Cart.objects.get_or_create(user_id=uuid.UUID(client.user_id))
    for product in products or [ProductFactory(price=Decimal("12.50"))]:
        CartLineFactory(cart=cart, product=product, quantity=2)


def _checkout(client, key="key-1", body=BODY):
    return client.post(ORDERS, body, format="json", HTTP_IDEMPOTENCY_KEY=key)


# -- checkout -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_checkout_creates_a_pending_order(customer, captured_events):
    _fill_cart(customer)

    response = _checkout(customer)

    assert response.status_code == 201
    order = response.json()["data"]
    assert (order["status"], order["total"], order["currency"]) == ("pending", "25.00", "USD")
    assert order["shipping_address"] == ADDRESS
    assert order["lines"][0]["unit_price"] == "12.50"
    assert order["history"][0]["to_status"] == "pending"
    assert response["Location"] == f"{ORDERS}{order['id']}/"
    assert "Idempotent-Replayed" not in response
    assert customer.get("/api/v1/cart/").json()["data"]["lines"] == []
    captured_events.assert_published("orders.order.placed", order_id=order["id"])


@pytest.mark.django_db
def test_checkout_without_an_idempotency_key_is_refused(customer, captured_events):
    _fill_cart(customer)

    response = customer.post(ORDERS, BODY, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "idempotency_key_required"
    assert (Order.objects.count(), CartLine.objects.count()) == (0, 1)
    captured_events.assert_nothing_published()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "key",
    ["", "   ", "k" * 256, "clé".encode().decode("latin-1"), "tab\there", "two words"],
    ids=["empty", "blank", "too-long", "non-ascii", "control", "space"],
)
def test_a_malformed_idempotency_key_is_refused(customer, captured_events, key):
    _fill_cart(customer)

    response = _checkout(customer, key=key)

    assert (response.status_code, response.json()["error"]["code"]) == (400, "idempotency_key_required")
    assert Order.objects.count() == 0
    captured_events.assert_nothing_published()


@pytest.mark.django_db
def test_the_same_key_replays_the_same_order(customer, captured_events):
    _fill_cart(customer)
    first = _checkout(customer)

    again = _checkout(customer)

    assert again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["data"]["id"] == first.json()["data"]["id"]
    assert Order.objects.count() == 1
    assert len(captured_events.of_type("orders.order.placed")) == 1


@pytest.mark.django_db
def test_a_reused_key_with_another_body_is_409(customer, captured_events):
    _fill_cart(customer)
    _checkout(customer)

    response = _checkout(customer, body={"shipping_address": {**ADDRESS, "postal_code": "N1 9GU"}})

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_key_reused"
    assert Order.objects.count() == 1
    assert len(captured_events.of_type("orders.order.placed")) == 1


@pytest.mark.django_db
def test_an_invalid_address_is_a_validation_error(customer, captured_events):
    _fill_cart(customer)

    response = _checkout(customer, body={"shipping_address": {**ADDRESS, "country": "Britain"}})

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert "country" in error["details"]["shipping_address"]
    assert Order.objects.count() == 0
    captured_events.assert_nothing_published()


@pytest.mark.django_db
def test_a_lone_surrogate_in_an_ignored_field_does_not_break_the_idempotency_fingerprint(customer):
    _fill_cart(customer)
    raw = '{"shipping_address": ' + json.dumps(ADDRESS) + ', "note": "\\ud800"}'

    def post():
        return customer.post(ORDERS, data=raw, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-sur")

    first, again = post(), post()

    assert (first.status_code, again.status_code) == (201, 201), first.content
    assert again["Idempotent-Replayed"] == "true"
    assert Order.objects.count() == 1


@pytest.mark.django_db
def test_checkout_of_an_empty_cart_is_explained(customer):
    response = _checkout(customer)

    assert (response.status_code, response.json()["error"]["code"]) == (400, "cart_empty")


@pytest.mark.django_db(transaction=True)
def test_concurrent_checkouts_through_the_api_make_one_order(client_for):
    user_id = str(uuid.uuid4())
    clients = [client_for(user_id) for _ in range(4)]
    _fill_cart(clients[0])

    responses = results_concurrently([partial(_checkout, client, key="same-click") for client in clients])

    assert [response.status_code for response in responses] == [201] * 4
    assert len({response.json()["data"]["id"] for response in responses}) == 1
    assert sum(response.has_header("Idempotent-Replayed") for response in responses) == 3
    assert Order.objects.count() == 1
    assert OutboxEvent.objects.filter(type="orders.order.placed").count() == 1


# -- history and detail -------------------------------------------------------------------------


@pytest.mark.django_db
def test_customers_see_only_their_orders_newest_first(customer, other_customer):
    mine_old = OrderFactory(user_id=customer.user_id, placed_at=timezone.now() - timedelta(days=2))
    mine_new = OrderFactory(user_id=customer.user_id)
    OrderFactory(user_id=other_customer.user_id)

    response = customer.get(ORDERS, {"user_id": other_customer.user_id})  # ignored for customers

    assert response.status_code == 200
    body = response.json()
    assert [order["id"] for order in body["data"]] == [str(mine_new.id), str(mine_old.id)]
    assert body["meta"]["pagination"]["count"] == 2


@pytest.mark.django_db
def test_history_filters_by_status_and_dates(customer):
    now = timezone.now()
    paid = OrderFactory(user_id=customer.user_id, status=OrderStatus.PAID, placed_at=now - timedelta(days=10))
    shipped = OrderFactory(
        user_id=customer.user_id, status=OrderStatus.SHIPPED, placed_at=now - timedelta(days=1)
    )
    OrderFactory(user_id=customer.user_id, status=OrderStatus.CANCELLED, placed_at=now - timedelta(days=1))

    def ids(**params):
        response = customer.get(ORDERS, params)
        assert response.status_code == 200, response.json()
        return {order["id"] for order in response.json()["data"]}

    assert ids(status="paid,shipped") == {str(paid.id), str(shipped.id)}
    assert ids(status="shipped") == {str(shipped.id)}
    assert ids(status="paid", placed_from=(now - timedelta(days=3)).date().isoformat()) == set()
    assert ids(placed_to=(now - timedelta(days=5)).date().isoformat()) == {str(paid.id)}
    # What a form sends for its unset fields means no filter, not a validation error.
    assert len(ids(status="", placed_from="", placed_to="")) == 3


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "lost"}, "status"),
        ({"placed_from": "yesterday"}, "placed_from"),
        ({"placed_from": "2026-02-01", "placed_to": "2026-01-01"}, "placed_to"),
    ],
)
def test_invalid_filters_are_validation_errors(customer, params, field):
    response = customer.get(ORDERS, params)

    assert response.status_code == 400
    assert field in response.json()["error"]["details"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "params",
    [
        {"placed_to": "9999-12-31"},
        {"placed_from": "0001-01-01", "placed_to": "9999-12-31"},
        {"placed_from": "0001-01-01"},
    ],
)
def test_the_widest_date_filters_are_answered_not_500(customer, params):
    order = OrderFactory(user_id=customer.user_id)

    response = customer.get(ORDERS, params)

    assert response.status_code == 200, response.content
    assert [o["id"] for o in response.json()["data"]] == [str(order.id)]


@pytest.mark.django_db
def test_staff_see_every_order_and_can_narrow_to_one_customer(staff, customer, other_customer):
    mine = OrderFactory(user_id=customer.user_id)
    OrderFactory(user_id=other_customer.user_id)

    assert len(staff.get(ORDERS).json()["data"]) == 2
    assert [o["id"] for o in staff.get(ORDERS, {"user_id": customer.user_id}).json()["data"]] == [
        str(mine.id)
    ]


@pytest.mark.django_db
def test_order_detail_for_owner_and_staff_404_for_anyone_else(customer, other_customer, staff):
    order = OrderFactory(user_id=customer.user_id)
    url = f"{ORDERS}{order.id}/"

    assert customer.get(url).status_code == 200
    assert staff.get(url).status_code == 200
    other = other_customer.get(url)
    assert (other.status_code, other.json()["error"]["code"]) == (404, "not_found")
    assert customer.get(f"{ORDERS}{uuid.uuid4()}/").status_code == 404


@pytest.mark.django_db
def test_a_rejected_order_tells_the_customer_why(customer, deliver_event):
    order = OrderFactory(user_id=customer.user_id, lines__name="Blue mug")
    line = order.lines.get()
    deliver_event(
        "catalog.stock.rejected",
        {
            "order_id": str(order.id),
            "reason": "insufficient_stock",
            "failed_lines": [
                {
                    "product_id": str(line.product_id),
                    "requested": 2,
                    "available": 0,
                    "reason": "insufficient_stock",
                }
            ],
        },
    )

    data = customer.get(f"{ORDERS}{order.id}/").json()["data"]

    assert data["status"] == "rejected"
    assert data["status_reason"] == "Insufficient stock: Blue mug (requested 2, available 0)"
    assert data["rejection_details"][0]["available"] == 0


# -- cancel -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_owner_cancels_before_shipping(customer, captured_events):
    order = OrderFactory(user_id=customer.user_id, status=OrderStatus.CONFIRMED)

    response = customer.post(f"{ORDERS}{order.id}/cancel/")

    assert response.status_code == 200
    assert (response.json()["data"]["status"], response.json()["data"]["cancellation_reason"]) == (
        "cancelled",
        "customer",
    )
    captured_events.assert_published("orders.order.cancelled", order_id=str(order.id), reason="customer")


@pytest.mark.django_db
def test_cancelling_someone_elses_order_is_404_and_changes_nothing(customer, other_customer, captured_events):
    order = OrderFactory(user_id=customer.user_id)

    response = other_customer.post(f"{ORDERS}{order.id}/cancel/")

    assert response.status_code == 404
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING
    captured_events.assert_nothing_published()


@pytest.mark.django_db
def test_staff_cancel_is_recorded_as_staff(staff, customer, captured_events):
    order = OrderFactory(user_id=customer.user_id, status=OrderStatus.PENDING)

    response = staff.post(f"{ORDERS}{order.id}/cancel/")

    assert response.json()["data"]["cancellation_reason"] == "staff"
    assert response.json()["data"]["history"][-1]["actor"] == "staff"
    captured_events.assert_published("orders.order.cancelled", reason="staff")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "status", [OrderStatus.SHIPPED, OrderStatus.COMPLETED, OrderStatus.CANCELLED, OrderStatus.REJECTED]
)
def test_cancelling_too_late_is_a_409_conflict(customer, captured_events, status):
    order = OrderFactory(user_id=customer.user_id, status=status)

    response = customer.post(f"{ORDERS}{order.id}/cancel/")

    assert response.status_code == 409
    error = response.json()["error"]
    assert (error["code"], error["details"]["status"]) == ("conflict", status)
    order.refresh_from_db()
    assert order.status == status
    captured_events.assert_nothing_published()


@pytest.mark.django_db
def test_cancelling_a_paid_order_through_the_api_refunds_it(customer, django_capture_on_commit_callbacks):
    order = OrderFactory(user_id=customer.user_id, status=OrderStatus.PAID)
    payment = PaymentFactory(order=order)

    with django_capture_on_commit_callbacks(execute=True):
        response = customer.post(f"{ORDERS}{order.id}/cancel/")

    assert response.status_code == 200
    payment.refresh_from_db()
    assert payment.status == "refunded"
    detail = customer.get(f"/api/v1/payments/{payment.id}/").json()["data"]
    assert detail["refund"]["status"] == "succeeded"


# -- ship and complete (staff) ------------------------------------------------------------------


@pytest.mark.django_db
def test_staff_ship_then_complete_a_paid_order(staff, captured_events):
    order = OrderFactory(status=OrderStatus.PAID)

    shipped = staff.post(
        f"{ORDERS}{order.id}/ship/", {"carrier": "DHL", "tracking_number": "JD0123"}, format="json"
    )
    completed = staff.post(f"{ORDERS}{order.id}/complete/")

    assert shipped.status_code == 200
    assert (shipped.json()["data"]["status"], shipped.json()["data"]["tracking_number"]) == (
        "shipped",
        "JD0123",
    )
    assert completed.status_code == 200
    assert completed.json()["data"]["status"] == "completed"
    assert captured_events.types == ["orders.order.shipped", "orders.order.completed"]
    captured_events.assert_published("orders.order.shipped", carrier="DHL", tracking_number="JD0123")


@pytest.mark.django_db
def test_customers_cannot_ship_or_complete_even_their_own_order(customer, captured_events):
    order = OrderFactory(user_id=customer.user_id, status=OrderStatus.PAID)

    for action in ("ship", "complete"):
        response = customer.post(f"{ORDERS}{order.id}/{action}/")
        assert (response.status_code, response.json()["error"]["code"]) == (403, "permission_denied")
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    captured_events.assert_nothing_published()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("status", "action"),
    [
        (OrderStatus.CONFIRMED, "ship"),
        (OrderStatus.PENDING, "ship"),
        (OrderStatus.PAID, "complete"),
        (OrderStatus.COMPLETED, "ship"),
    ],
)
def test_staff_out_of_order_actions_are_409(staff, captured_events, status, action):
    order = OrderFactory(status=status)

    response = staff.post(f"{ORDERS}{order.id}/{action}/")

    assert (response.status_code, response.json()["error"]["code"]) == (409, "conflict")
    captured_events.assert_nothing_published()


@pytest.mark.django_db
def test_shipping_an_unknown_order_is_404(staff):
    assert staff.post(f"{ORDERS}{uuid.uuid4()}/ship/").status_code == 404
