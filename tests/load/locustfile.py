"""Realistic traffic through the gateway: customers browse, search, fill a cart, check out, pay
and send messages, each with a think time between steps.

Run by ``tests/load/run.py`` (``make load``), which first prepares what the traffic needs (a
category and products with ample stock, signed-in customers, a working messaging session for
each) and hands it over in the JSON file named by ``LOAD_FIXTURE``. Every operation is named
for its route shape (``GET /catalog/products/{id}/``), so the figures group per operation, not
per object. Any answer other than the one the operation expects counts as an error.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import time
import uuid

from locust import HttpUser, between, task

FIXTURE = json.loads(open(os.environ["LOAD_FIXTURE"]).read())  # noqa: SIM115 (read once at import)
SEARCH_TERMS = FIXTURE["search_terms"]
PRODUCTS = FIXTURE["products"]
ADDRESS = FIXTURE["address"]
# Each simulated user takes the next prepared customer (they outnumber the users).
_customers = itertools.cycle(FIXTURE["customers"])
CONFIRM_TIMEOUT_SECONDS = float(os.environ.get("LOAD_CONFIRM_TIMEOUT_SECONDS", "15"))
THINK_MIN, THINK_MAX = (float(part) for part in os.environ.get("LOAD_THINK_SECONDS", "1,3").split(","))
# The smoke run (make test) is a few seconds long: each user first does every operation once,
# so none goes untried by chance.
EVERY_OPERATION_FIRST = os.environ.get("LOAD_EVERY_OPERATION_FIRST") == "1"


class Customer(HttpUser):
    wait_time = between(THINK_MIN, THINK_MAX)

    def on_start(self) -> None:
        customer = next(_customers)
        self.client.headers["Authorization"] = f"Bearer {customer['access']}"
        self.session_id = customer["session"]
        if EVERY_OPERATION_FIRST:
            for operation in (
                self.browse,
                self.browse_categories,
                self.search,
                self.look_at_cart,
                self.checkout_and_pay,
                self.message,
                self.my_orders,
            ):
                operation()

    def expect(self, method: str, path: str, name: str, status: int, **kwargs):
        """One request that fails unless it answers ``status``; returns its ``data`` (or None)."""
        with self.client.request(method, path, name=name, catch_response=True, **kwargs) as response:
            if response.status_code != status:
                response.failure(f"{response.status_code}: {response.text[:300]}")
                return None
            try:
                return response.json()["data"] if response.content else None
            except (ValueError, KeyError, TypeError):
                response.failure(f"{response.status_code} without a data envelope: {response.text[:300]}")
                return None

    @task(6)
    def browse(self) -> None:
        page = self.expect(
            "GET", "/api/v1/catalog/products/", "GET /catalog/products/", 200, params={"page_size": 20}
        )
        if page:
            product = random.choice(page)
            self.expect(
                "GET", f"/api/v1/catalog/products/{product['id']}/", "GET /catalog/products/{id}/", 200
            )

    @task(2)
    def browse_categories(self) -> None:
        self.expect("GET", "/api/v1/catalog/categories/", "GET /catalog/categories/", 200)

    @task(4)
    def search(self) -> None:
        params = {"search": random.choice(SEARCH_TERMS), "in_stock": "true", "ordering": "price"}
        self.expect("GET", "/api/v1/catalog/products/", "GET /catalog/products/?search=", 200, params=params)

    @task(3)
    def look_at_cart(self) -> None:
        self.expect("GET", "/api/v1/cart/", "GET /cart/", 200)

    @task(2)
    def checkout_and_pay(self) -> None:
        product = random.choice(PRODUCTS)
        body = {"product_id": product, "quantity": random.randint(1, 2)}
        with self.client.post(
            "/api/v1/cart/items/", json=body, name="POST /cart/items/", catch_response=True
        ) as response:
            if response.status_code not in (200, 201):
                response.failure(f"{response.status_code}: {response.text[:300]}")
                return
        order = self.expect(
            "POST",
            "/api/v1/orders/",
            "POST /orders/",
            201,
            json={"shipping_address": ADDRESS},
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )
        if not order or not self.wait_until_confirmed(order["id"]):
            return
        payment = self.expect(
            "POST",
            "/api/v1/payments/",
            "POST /payments/",
            201,
            json={"order_id": order["id"], "payment_method": "4242424242424242"},
        )
        if payment and payment["status"] != "succeeded":
            self.check_failed("payment succeeded", f"payment {payment['status']}")

    def check_failed(self, name: str, why: str) -> None:
        """An outcome (not a request) that went wrong: an error in the figures, named ``name``."""
        self.environment.events.request.fire(
            request_type="CHECK", name=name, response_time=0, response_length=0, exception=AssertionError(why)
        )

    def wait_until_confirmed(self, order_id: str) -> bool:
        """The saga confirms the order asynchronously (catalog reserves the stock); poll as a
        client would, and count a confirmation that never comes as an error."""
        deadline = time.monotonic() + CONFIRM_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            order = self.expect("GET", f"/api/v1/orders/{order_id}/", "GET /orders/{id}/", 200)
            if order is None:
                return False
            if order["status"] == "confirmed":
                return True
            if order["status"] != "pending":
                break
            time.sleep(0.25)
        self.check_failed("order confirmed", f"order {order_id} not confirmed in {CONFIRM_TIMEOUT_SECONDS}s")
        return False

    @task(1)
    def message(self) -> None:
        sent = self.expect(
            "POST",
            "/api/v1/messaging/messages/",
            "POST /messaging/messages/",
            202,
            json={
                "to": f"+34 600 00 {random.randint(10, 99)} {random.randint(10, 99)}",
                "text": "Is it in stock?",
            },
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )
        if sent:
            self.expect(
                "GET", f"/api/v1/messaging/messages/{sent['id']}/", "GET /messaging/messages/{id}/", 200
            )

    @task(1)
    def my_orders(self) -> None:
        self.expect("GET", "/api/v1/orders/", "GET /orders/", 200)
