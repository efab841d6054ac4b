"""The checkout saga through the gateway: orders ⇄ catalog over RabbitMQ, relays and consumers real."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

from tests.e2e.shopping import ADDRESS, Api, add_to_cart_when_known, new_customer, new_product, wait_for


def order_status(customer: Api, order_id: str) -> str:
    return customer.get(f"/api/v1/orders/{order_id}/").json()["data"]["status"]


def catalog_stock(admin, product_id: str) -> dict:
    return admin.get(f"/api/v1/catalog/products/{product_id}/").json()["data"]


def test_checkout_reaches_confirmed_then_paid_and_stock_is_decremented(platform, admin, category):
    product = new_product(admin, category, stock=5)
    customer = new_customer(platform)
    add_to_cart_when_known(customer, product["id"], quantity=2)

    key = str(uuid.uuid4())
    placed = customer.post("/api/v1/orders/", {"shipping_address": ADDRESS}, headers={"Idempotency-Key": key})
    assert placed.status_code == 201, placed.text
    order = placed.json()["data"]
    assert order["status"] == "pending"
    assert Decimal(order["total"]) == Decimal("25.00")

    replay = customer.post("/api/v1/orders/", {"shipping_address": ADDRESS}, headers={"Idempotency-Key": key})
    assert replay.status_code == 201 and replay.json()["data"]["id"] == order["id"]

    wait_for(lambda: order_status(customer, order["id"]) == "confirmed")
    assert catalog_stock(admin, product["id"])["reserved"] == 2

    paid = customer.post("/api/v1/payments/", {"order_id": order["id"], "payment_method": "4242424242424242"})
    assert paid.status_code == 201, paid.text
    assert paid.json()["data"]["status"] == "succeeded"
    assert order_status(customer, order["id"]) == "paid"

    def decremented():
        stock = catalog_stock(admin, product["id"])
        return stock["stock"] == 3 and stock["reserved"] == 0 and stock["available"] == 3

    wait_for(decremented)

    stranger = new_customer(platform)
    assert stranger.get(f"/api/v1/orders/{order['id']}/").status_code == 404


def test_twenty_concurrent_checkouts_for_five_units(platform, admin, category):
    product = new_product(admin, category, stock=5)
    customers = [new_customer(platform) for _ in range(20)]
    for customer in customers:
        add_to_cart_when_known(customer, product["id"])

    def checkout(customer: Api) -> str:
        response = customer.post(
            "/api/v1/orders/", {"shipping_address": ADDRESS}, headers={"Idempotency-Key": str(uuid.uuid4())}
        )
        assert response.status_code == 201, response.text
        return response.json()["data"]["id"]

    with ThreadPoolExecutor(max_workers=20) as pool:
        order_ids = list(pool.map(checkout, customers))

    def settled():
        statuses = [order_status(c, o) for c, o in zip(customers, order_ids, strict=True)]
        return statuses if "pending" not in statuses else None

    statuses = wait_for(settled, timeout=60, interval=0.5)
    assert statuses.count("confirmed") == 5
    assert statuses.count("rejected") == 15
    stock = catalog_stock(admin, product["id"])
    assert stock["stock"] == 5 and stock["reserved"] == 5 and stock["available"] == 0

    rejected = next(o for c, o, s in zip(customers, order_ids, statuses, strict=True) if s == "rejected")
    owner = customers[order_ids.index(rejected)]
    assert (
        owner.get(f"/api/v1/orders/{rejected}/")
        .json()["data"]["status_reason"]
        .startswith("Insufficient stock")
    )


def test_cancelling_a_paid_order_puts_its_units_back_in_stock(platform, admin, category):
    product = new_product(admin, category, stock=5)
    customer = new_customer(platform)
    add_to_cart_when_known(customer, product["id"], quantity=2)
    before = catalog_stock(admin, product["id"])
    assert (before["stock"], before["reserved"], before["available"]) == (5, 0, 5)

    placed = customer.post(
        "/api/v1/orders/", {"shipping_address": ADDRESS}, headers={"Idempotency-Key": str(uuid.uuid4())}
    )
    assert placed.status_code == 201, placed.text
    order_id = placed.json()["data"]["id"]
    wait_for(lambda: order_status(customer, order_id) == "confirmed")
    paid = customer.post("/api/v1/payments/", {"order_id": order_id, "payment_method": "4242424242424242"})
    assert paid.status_code == 201, paid.text

    def stock_is(on_hand: int, reserved: int):
        def check():
            stock = catalog_stock(admin, product["id"])
            return [stock["stock"], stock["reserved"], stock["available"]] == [
                on_hand,
                reserved,
                on_hand - reserved,
            ]

        return check

    wait_for(stock_is(3, 0))  # paid: the two units left the warehouse

    cancelled = customer.post(f"/api/v1/orders/{order_id}/cancel/")
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["data"]["status"] == "cancelled"

    wait_for(stock_is(5, 0))  # cancelled before shipping: back on hand
    # Once: a second cancel is refused, and the stock stays where it is.
    assert customer.post(f"/api/v1/orders/{order_id}/cancel/").status_code == 409
    assert stock_is(5, 0)()
