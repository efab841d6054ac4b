#!/usr/bin/env python3
"""Fill a running platform with demo data through the gateway's public API (``make seed``).

Demo users, categories, products, carts and orders in every interesting state, created
only through ``/api/v1/...`` (no table is written directly). Running it again changes
nothing: users log in instead of registering, categories and products are found by name
and SKU, checkouts reuse a fixed ``Idempotency-Key`` per demo order (the platform replays
the same order), and each order is only moved forward from the state it is in.

Environment: ``GATEWAY_URL`` (default http://localhost:8080), ``SEED_ADMIN_EMAIL`` /
``SEED_ADMIN_PASSWORD`` (a staff account; ``make seed`` creates it with ``createadmin``),
``SEED_PASSWORD`` (the demo customers' password), ``SEED_TIMEOUT_SECONDS`` (how long to wait
for the platform and for events to flow, default 60).
"""

from __future__ import annotations

import email.utils
import os
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import requests

GATEWAY_URL = os.environ.get("GATEWAY_URL", "http://localhost:8080").rstrip("/")
ADMIN_EMAIL = os.environ.get("SEED_ADMIN_EMAIL", "admin@demo.example")
ADMIN_PASSWORD = os.environ.get("SEED_ADMIN_PASSWORD", "demo-Admin-2026!")
CUSTOMER_PASSWORD = os.environ.get("SEED_PASSWORD", "demo-Shop-2026!")
TIMEOUT = float(os.environ.get("SEED_TIMEOUT_SECONDS", "60"))

GOOD_CARD = "4242 4242 4242 4242"
DECLINED_CARD = "4000 0000 0000 0002"

CATEGORIES = ["Kitchen", "Apparel", "Books", "Garden"]
# sku: (name, price, currency, stock, category)
PRODUCTS = {
    "DEMO-MUG-01": ("Stoneware mug", "12.50", "USD", 120, "Kitchen"),
    "DEMO-KTL-01": ("Enamel kettle", "39.00", "USD", 40, "Kitchen"),
    "DEMO-KNF-01": ("Chef's knife", "84.90", "USD", 25, "Kitchen"),
    "DEMO-BRD-01": ("Oak cutting board", "29.95", "USD", 60, "Kitchen"),
    "DEMO-TEE-01": ("Organic cotton tee", "19.00", "USD", 200, "Apparel"),
    "DEMO-HOO-01": ("Hooded sweatshirt", "54.00", "USD", 80, "Apparel"),
    "DEMO-CAP-01": ("Canvas cap", "16.50", "USD", 90, "Apparel"),
    "DEMO-BK-001": ("Designing Data-Intensive Applications", "42.00", "USD", 30, "Books"),
    "DEMO-BK-002": ("The Pragmatic Programmer", "35.50", "USD", 30, "Books"),
    "DEMO-BK-003": ("Two Scoops of Django", "39.99", "USD", 30, "Books"),
    "DEMO-GDN-01": ("Watering can", "24.00", "USD", 45, "Garden"),
    "DEMO-GDN-02": ("Seed starter kit", "18.75", "USD", 70, "Garden"),
}
CUSTOMERS = {
    "alice": {
        "name": "Alice Martin",
        "line1": "12 Rue de Rivoli",
        "city": "Paris",
        "postal_code": "75001",
        "country": "FR",
    },
    "bob": {
        "name": "Bob Okafor",
        "line1": "221 King Street",
        "city": "London",
        "postal_code": "W6 9JT",
        "country": "GB",
    },
    "carol": {
        "name": "Carol Nguyen",
        "line1": "500 Market St",
        "city": "San Francisco",
        "postal_code": "94105",
        "country": "US",
    },
}
# (customer, demo order number, cart lines, where the order should end up)
ORDERS = [
    ("alice", 1, [("DEMO-MUG-01", 2), ("DEMO-KTL-01", 1)], "completed"),
    ("alice", 2, [("DEMO-BK-001", 1)], "paid"),
    ("bob", 1, [("DEMO-HOO-01", 1), ("DEMO-CAP-01", 2)], "shipped"),
    ("bob", 2, [("DEMO-KNF-01", 1)], "cancelled"),
    ("bob", 3, [("DEMO-GDN-01", 1), ("DEMO-GDN-02", 3)], "confirmed"),
    ("carol", 1, [("DEMO-TEE-01", 3)], "payment_failed"),
    ("carol", 2, [("DEMO-BK-002", 1), ("DEMO-BK-003", 1)], "paid"),
    ("carol", 3, [("DEMO-KNF-01", 30)], "rejected"),  # more knives than catalog has: rejected, with why
]
# What stays in the carts afterwards.
CARTS = {"alice": [("DEMO-BRD-01", 1), ("DEMO-TEE-01", 2)], "carol": [("DEMO-KTL-01", 1)]}


class SeedError(RuntimeError):
    pass


# -- HTTP ---------------------------------------------------------------------------------------


@dataclass
class Api:
    token: str | None = None
    session: requests.Session = field(default_factory=requests.Session)

    def call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        ok: tuple[int, ...] = (200, 201),
    ) -> requests.Response:
        """One request; retries while the gateway or a service is still starting (502/503/504)."""
        all_headers = {"Accept": "application/json", **(headers or {})}
        if self.token:
            all_headers["Authorization"] = f"Bearer {self.token}"
        deadline = time.monotonic() + TIMEOUT
        while True:
            try:
                response = self.session.request(
                    method, GATEWAY_URL + path, json=json, params=params, headers=all_headers, timeout=15
                )
            except requests.ConnectionError as exc:
                if time.monotonic() > deadline:
                    raise SeedError(
                        f"{method} {path}: the gateway at {GATEWAY_URL} is unreachable ({exc})"
                    ) from None
                time.sleep(1)
                continue
            if response.status_code in (502, 503, 504) and time.monotonic() < deadline:
                time.sleep(1)
                continue
            if response.status_code == 429:
                wait = retry_after_seconds(response.headers.get("Retry-After"))
                if time.monotonic() + wait > deadline:  # e.g. a locked account: minutes, not seconds
                    raise SeedError(
                        f"{method} {path} answered 429 (retry after {wait:.0f}s): {_error_text(response)}"
                    )
                time.sleep(wait)
                continue
            if response.status_code not in ok:
                raise SeedError(f"{method} {path} answered {response.status_code}: {_error_text(response)}")
            return response

    def data(self, method: str, path: str, **kwargs: Any) -> Any:
        return self.call(method, path, **kwargs).json()["data"]

    def all_pages(self, path: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        page = 1
        while True:
            body = self.call("GET", path, params={**(params or {}), "page": page, "page_size": 100}).json()
            rows.extend(body["data"])
            if not (body.get("meta", {}).get("pagination") or {}).get("next"):
                return rows
            page += 1


def retry_after_seconds(value: str | None, *, now: float | None = None) -> float:
    """Seconds to wait from a ``Retry-After`` header: delay-seconds or an HTTP date (RFC 9110).

    Several delays joined into one value (``"900, 1"``: two headers, as the gateway once sent
    on a locked account's 429) count by the longest; a missing or unreadable value means 1 s.
    """
    text = (value or "").strip()
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        when = None
    if when is not None and when.tzinfo is not None:
        return max(0.0, when.timestamp() - (time.time() if now is None else now))
    delays = [
        float(part) for part in (p.strip() for p in text.split(",")) if part.isascii() and part.isdigit()
    ]
    return max(delays, default=1.0)


def _error_text(response: requests.Response) -> str:
    try:
        error = response.json()["error"]
        return f"{error['code']}: {error['message']} {error.get('details') or ''}".strip()
    except (ValueError, KeyError, TypeError):
        return response.text[:300]


def _error_code(response: requests.Response) -> str | None:
    try:
        return response.json()["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return None


# -- progress -----------------------------------------------------------------------------------


class Progress:
    """A one-line progress bar on stderr (plain lines when not on a terminal)."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.done = 0
        self.is_tty = sys.stderr.isatty()

    def step(self, label: str) -> None:
        self.done = min(self.done + 1, self.total)
        width = 30
        filled = int(width * self.done / self.total)
        line = f"[{'#' * filled}{'.' * (width - filled)}] {self.done:>3}/{self.total} {label}"
        if self.is_tty:
            sys.stderr.write("\r\033[K" + line[:120])
            if self.done == self.total:
                sys.stderr.write("\n")
        else:
            sys.stderr.write(line + "\n")
        sys.stderr.flush()

    def note(self, message: str) -> None:
        sys.stderr.write(("\r\033[K" if self.is_tty else "") + message + "\n")


# -- steps --------------------------------------------------------------------------------------


def wait_for_platform(progress: Progress) -> None:
    for service in ("identity", "catalog", "orders"):
        deadline = time.monotonic() + TIMEOUT
        while True:
            try:
                response = requests.get(f"{GATEWAY_URL}/health/{service}/", timeout=5)
                if response.status_code == 200:
                    break
                reason = f"answered {response.status_code}"
            except requests.RequestException as exc:
                reason = str(exc)
            if time.monotonic() > deadline:
                raise SeedError(f"{service} is not ready behind {GATEWAY_URL} ({reason}); is `make run` up?")
            time.sleep(1)
        progress.step(f"{service} is ready")


def login(email: str, password: str) -> Api:
    response = Api().call(
        "POST", "/api/v1/auth/login/", json={"email": email, "password": password}, ok=(200, 400, 401)
    )
    if response.status_code != 200:
        raise SeedError(f"cannot log in as {email}: {_error_text(response)}")
    return Api(token=response.json()["data"]["access"])


def ensure_customer(username: str) -> Api:
    email = f"{username}@demo.example"
    response = Api().call(
        "POST",
        "/api/v1/auth/register/",
        json={"email": email, "password": CUSTOMER_PASSWORD},
        ok=(201, 400, 409),
    )
    if response.status_code not in (201, 409) and _error_code(response) != "email_taken":
        raise SeedError(f"cannot register {email}: {_error_text(response)}")
    return login(email, CUSTOMER_PASSWORD)


def ensure_categories(admin: Api, progress: Progress) -> dict[str, str]:
    existing = {row["name"]: row["id"] for row in admin.all_pages("/api/v1/catalog/categories/")}
    for name in CATEGORIES:
        if name not in existing:
            existing[name] = admin.data("POST", "/api/v1/catalog/categories/", json={"name": name})["id"]
        progress.step(f"category {name}")
    return existing


def ensure_products(admin: Api, categories: dict[str, str], progress: Progress) -> dict[str, str]:
    existing = {row["sku"]: row["id"] for row in admin.all_pages("/api/v1/catalog/products/")}
    for sku, (name, price, currency, stock, category) in PRODUCTS.items():
        if sku not in existing:
            body = {
                "sku": sku,
                "name": name,
                "price": price,
                "currency": currency,
                "stock": stock,
                "category": categories[category],
                "description": f"{name}: demo data.",
            }
            existing[sku] = admin.data("POST", "/api/v1/catalog/products/", json=body)["id"]
        progress.step(f"product {sku}")
    return existing


def fill_cart(customer: Api, products: dict[str, str], lines: list[tuple[str, int]]) -> None:
    """Make the cart hold exactly ``lines``; waits for orders to learn of new products."""
    customer.call("DELETE", "/api/v1/cart/")
    for sku, quantity in lines:
        deadline = time.monotonic() + TIMEOUT
        while True:
            response = customer.call(
                "POST",
                "/api/v1/cart/items/",
                json={"product_id": products[sku], "quantity": quantity},
                ok=(200, 201, 400),
            )
            if response.status_code in (200, 201):
                break
            # Orders learns about products from catalog's events: give them a moment to arrive.
            if _error_code(response) != "unknown_product" or time.monotonic() > deadline:
                raise SeedError(f"cannot add {sku} to the cart: {_error_text(response)}")
            time.sleep(0.5)


def wait_until_decided(customer: Api, order_id: str) -> dict[str, Any]:
    """Wait for catalog's answer (confirmed or rejected) to a pending order."""
    deadline = time.monotonic() + TIMEOUT
    while True:
        order = customer.data("GET", f"/api/v1/orders/{order_id}/")
        if order["status"] != "pending" or time.monotonic() > deadline:
            return order
        time.sleep(0.5)


def place_order(customer: Api, username: str, number: int, products: dict[str, str], lines) -> dict[str, Any]:
    fill_cart(customer, products, lines)
    response = customer.call(
        "POST",
        "/api/v1/orders/",
        json={"shipping_address": CUSTOMERS[username]},
        headers={"Idempotency-Key": f"demo-seed-{username}-order-{number}"},
    )
    if response.headers.get("Idempotent-Replayed") == "true":
        customer.call("DELETE", "/api/v1/cart/")  # the order existed already: nothing used the cart
    return response.json()["data"]


def move_order(admin: Api, customer: Api, order: dict[str, Any], target: str) -> str:
    """Move an order towards ``target`` from wherever it is; returns where it ended up."""
    order = wait_until_decided(customer, order["id"])
    status = order["status"]
    path = f"/api/v1/orders/{order['id']}/"
    if status == "pending":
        return "pending (catalog has not answered: is catalog's consumer running?)"
    if target == "cancelled" and status in ("confirmed", "paid"):
        status = customer.data("POST", path + "cancel/")["status"]
    if target == "payment_failed" and status == "confirmed":
        payments = customer.data("GET", "/api/v1/payments/", params={"order_id": order["id"]})
        if not any(payment["status"] == "failed" for payment in payments):
            customer.call(
                "POST", "/api/v1/payments/", json={"order_id": order["id"], "payment_method": DECLINED_CARD}
            )
        return "confirmed, one payment declined"
    if target in ("paid", "shipped", "completed") and status == "confirmed":
        payment = customer.data(
            "POST", "/api/v1/payments/", json={"order_id": order["id"], "payment_method": GOOD_CARD}
        )
        status = "paid" if payment["status"] == "succeeded" else status
    if target in ("shipped", "completed") and status == "paid":
        body = {"carrier": "DemoPost", "tracking_number": f"DP{order['id'][:8].upper()}"}
        status = admin.data("POST", path + "ship/", json=body)["status"]
    if target == "completed" and status == "shipped":
        status = admin.data("POST", path + "complete/")["status"]
    return status


def main() -> int:
    total = 3 + 1 + len(CUSTOMERS) + len(CATEGORIES) + len(PRODUCTS) + len(ORDERS) + len(CARTS)
    progress = Progress(total)
    try:
        wait_for_platform(progress)
        try:
            admin = login(ADMIN_EMAIL, ADMIN_PASSWORD)
        except SeedError as exc:
            raise SeedError(
                f"{exc}\n  create the staff account first: make createadmin EMAIL={ADMIN_EMAIL} PASSWORD=…"
                " (and set SEED_ADMIN_EMAIL / SEED_ADMIN_PASSWORD)"
            ) from None
        progress.step(f"logged in as {ADMIN_EMAIL}")
        customers = {}
        for username in CUSTOMERS:
            customers[username] = ensure_customer(username)
            progress.step(f"customer {username}@demo.example")
        categories = ensure_categories(admin, progress)
        products = ensure_products(admin, categories, progress)
        outcomes = []
        for username, number, lines, target in ORDERS:
            order = place_order(customers[username], username, number, products, lines)
            reached = move_order(admin, customers[username], order, target)
            outcomes.append((username, number, order["id"], reached))
            progress.step(f"order {username}#{number}: {reached}")
        for username, lines in CARTS.items():
            fill_cart(customers[username], products, lines)
            progress.step(f"cart of {username}")
    except SeedError as exc:
        progress.note(f"seed failed: {exc}")
        return 1

    print(f"\nDemo data is in place behind {GATEWAY_URL}.\n")
    print("Logins (POST /api/v1/auth/login/):")
    print(f"  staff     {ADMIN_EMAIL:<24} {ADMIN_PASSWORD}")
    for username in CUSTOMERS:
        print(f"  customer  {username + '@demo.example':<24} {CUSTOMER_PASSWORD}")
    print("\nOrders:")
    for username, number, order_id, reached in outcomes:
        print(f"  {username:<6} #{number}  {order_id}  {reached}")
    print(
        "\nTest cards: 4242 4242 4242 4242 pays, 4000 0000 0000 0002 is declined, 4000 0000 0000 3220 asks for 3-D Secure."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
