"""A logged-in client of the gateway and the shopping steps the e2e tests share."""

from __future__ import annotations

import uuid

import requests

from servicekit.testing.polling import wait_until

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
        self.email = email
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


def create_admin(platform) -> Api:
    """A new staff admin in identity (``make createadmin``), signed in; ``.email`` names it."""
    email = f"admin-{uuid.uuid4().hex[:6]}@example.com"
    platform.create_admin(email, ADMIN_PASSWORD)
    api = Api(platform, email, ADMIN_PASSWORD)
    api.email = email
    return api


def wait_for(predicate, timeout=30.0, interval=0.1):
    """servicekit's ``wait_until`` with this suite's longer default: events cross processes here."""
    return wait_until(predicate, timeout=timeout, interval=interval)


def register(platform) -> str:
    """A new account with CUSTOMER_PASSWORD; returns its email."""
    email = f"customer-{uuid.uuid4().hex[:8]}@example.com"
    registered = requests.post(
        platform.url("/api/v1/auth/register/"),
        json={"email": email, "password": CUSTOMER_PASSWORD},
        timeout=10,
    )
    assert registered.status_code == 201, registered.text
    return email


def new_customer(platform) -> Api:
    return Api(platform, register(platform), CUSTOMER_PASSWORD)


def new_product(admin, category, stock: int, *, price: str = "12.50", currency: str = "USD") -> dict:
    sku = f"SAGA-{uuid.uuid4().hex[:8]}"
    response = admin.post(
        "/api/v1/catalog/products/",
        {
            "sku": sku,
            "name": f"Saga widget {sku}",
            "price": price,
            "currency": currency,
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
