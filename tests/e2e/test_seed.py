"""``make seed`` through the gateway: createadmin, then scripts/seed.py twice; the second run changes nothing."""

from __future__ import annotations

import os
import re
import subprocess

import requests

from scripts import seed
from tests.harness import PYTHON, ROOT

# The Makefile's defaults, so this is what `make seed` does.
ADMIN = ("admin@demo.example", "demo-Admin-2026!")
ORDER_LINE = re.compile(r"^\s+(\w+)\s+#(\d+)\s+([0-9a-f-]{36})\s+(.+)$")


def run_seed(platform) -> dict[tuple[str, int], tuple[str, str]]:
    """Run the script; returns {(customer, number): (order id, where it ended up)} from its summary."""
    env = {
        **os.environ,
        "GATEWAY_URL": platform.url(""),
        "SEED_ADMIN_EMAIL": ADMIN[0],
        "SEED_ADMIN_PASSWORD": ADMIN[1],
        "SEED_PASSWORD": seed.CUSTOMER_PASSWORD,
        "SEED_TIMEOUT_SECONDS": "30",
    }
    result = subprocess.run(
        [PYTHON, ROOT / "scripts" / "seed.py"], env=env, capture_output=True, text=True, timeout=180
    )
    assert result.returncode == 0, result.stdout + result.stderr
    orders = {}
    for line in result.stdout.split("\nOrders:\n")[1].splitlines():
        match = ORDER_LINE.match(line)
        if match:
            orders[(match[1], int(match[2]))] = (match[3], match[4])
    return orders


def login(platform, email: str, password: str) -> dict[str, str]:
    response = requests.post(
        platform.url("/api/v1/auth/login/"), json={"email": email, "password": password}, timeout=10
    )
    assert response.status_code == 200, (email, response.text)
    return {"Authorization": f"Bearer {response.json()['data']['access']}"}


def test_seed_fills_the_platform_and_running_it_again_changes_nothing(platform):
    subprocess.run(
        [ROOT / "services/identity/entrypoint.sh", "manage", "createadmin", "--email", ADMIN[0]]
        + ["--password", ADMIN[1]],
        env=platform.env_for("identity"),
        check=True,
        capture_output=True,
    )
    first = run_seed(platform)
    expected = {
        (customer, number): "confirmed, one payment declined" if target == "payment_failed" else target
        for customer, number, _lines, target in seed.ORDERS
    }
    assert {key: reached for key, (_id, reached) in first.items()} == expected

    second = run_seed(platform)
    assert second == first  # the same orders (replayed by their Idempotency-Key), in the same states

    login(platform, *ADMIN)
    for customer in seed.CUSTOMERS:
        headers = login(platform, f"{customer}@demo.example", seed.CUSTOMER_PASSWORD)
        orders = requests.get(platform.url("/api/v1/orders/"), headers=headers, timeout=10).json()["data"]
        assert sorted(order["id"] for order in orders) == sorted(
            order_id for (owner, _number), (order_id, _reached) in first.items() if owner == customer
        )
        cart = requests.get(platform.url("/api/v1/cart/"), headers=headers, timeout=10).json()["data"]
        assert sorted((line["sku"], line["quantity"]) for line in cart["lines"]) == sorted(
            seed.CARTS.get(customer, [])
        )

    products = requests.get(
        platform.url("/api/v1/catalog/products/"), params={"page_size": 100}, timeout=10
    ).json()["data"]
    assert sorted(product["sku"] for product in products if product["sku"] in seed.PRODUCTS) == sorted(
        seed.PRODUCTS
    )
    categories = requests.get(
        platform.url("/api/v1/catalog/categories/"), params={"page_size": 100}, timeout=10
    ).json()["data"]
    assert sorted(c["name"] for c in categories if c["name"] in seed.CATEGORIES) == sorted(seed.CATEGORIES)


def test_retry_after_is_read_as_seconds_or_a_date_and_two_values_count_by_the_longest():
    # "900, 1" is what clients read when a service's 429 and the gateway each sent one header:
    # float() of it crashed the script.
    assert seed.retry_after_seconds("900, 1") == 900
    assert seed.retry_after_seconds("3") == 3
    assert seed.retry_after_seconds(None) == seed.retry_after_seconds("soon") == 1
    assert seed.retry_after_seconds("Thu, 01 Jan 1970 00:00:10 GMT", now=4.0) == 6
    assert seed.retry_after_seconds("Thu, 01 Jan 1970 00:00:10 GMT", now=20.0) == 0
