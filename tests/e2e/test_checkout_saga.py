"""The checkout saga through the gateway: orders ⇄ catalog over RabbitMQ, relays and consumers real."""

from __future__ import annotations

import subprocess
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
import requests

from tests.harness import ROOT

ADMIN_PASSWORD = "e2e-Admin-Pass-2026!"
CUSTOMER_PASSWORD = "e2e-Customer-Pass-2026!"
ADDRESS = {
    "name": "Ada Lovelace",
    "line1": "12 Analytical Row",
    "city": "London",
    "postal_code": "N1 9GU",
    "country": "GB",
}


class Api:
    """A logged-in client of the gateway."""

    def __init__(self, platform, email: str, password: str) -> None:
        self.platform = platform
        response = requests.post(
            platform.url("/api/v1/auth/login/"), json={"email": email, "password": password}, timeout=10
        )
        assert response.status_code == 200, response.text
        self.headers = {"Authorization": f"Bearer {response.json()['data']['access']}"}

    def get(self, path, **params):
        return requests.get(self.platform.url(path), params=params, headers=self.headers, timeout=10)

    def post(self, path, body=None, headers=None):
        return requests.post(
            self.platform.url(path), json=body or {}, headers={**self.headers, **(headers or {})}, timeout=20
        )


def wait_for(predicate, timeout=30.0, interval=0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s")


@pytest.fixture(scope="module")
def admin(platform):
    email = f"admin-{uuid.uuid4().hex[:6]}@example.com"
    subprocess.run(
        [
            ROOT / "services/identity/entrypoint.sh",
            "manage",
            "createadmin",
            "--email",
            email,
            "--password",
            ADMIN_PASSWORD,
        ],
        env=platform.env_for("identity"),
        check=True,
        capture_output=True,
    )
    return Api(platform, email, ADMIN_PASSWORD)


@pytest.fixture(scope="module")
def category(admin):
    response = admin.post(
        "/api/v1/catalog/categories/", {"name": f"Saga {uuid.uuid4().hex[:6]}", "parent": None}
    )
    assert response.status_code == 201, response.text
    return response.json()["data"]["id"]


def new_customer(platform) -> Api:
    email = f"customer-{uuid.uuid4().hex[:8]}@example.com"
    registered = requests.post(
        platform.url("/api/v1/auth/register/"),
        json={"email": email, "password": CUSTOMER_PASSWORD},
        timeout=10,
    )
    assert registered.status_code == 201, registered.text
    return Api(platform, email, CUSTOMER_PASSWORD)


def new_product(admin, category, stock: int) -> dict:
    sku = f"SAGA-{uuid.uuid4().hex[:8]}"
    response = admin.post(
        "/api/v1/catalog/products/",
        {
            "sku": sku,
            "name": f"Saga widget {sku}",
            "price": "12.50",
            "currency": "USD",
            "stock": stock,
            "category": category,
        },
    )
    assert response.status_code == 201, response.text
    return response.json()["data"]


def add_to_cart_when_known(customer: Api, product_id: str, quantity: int = 1) -> None:
    """orders learns of the product from catalog's event; wait for its read model to catch up."""

    def added():
        response = customer.post("/api/v1/cart/items/", {"product_id": product_id, "quantity": quantity})
        return response.status_code in (200, 201)

    wait_for(added, timeout=30, interval=0.2)


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
