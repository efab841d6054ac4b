"""Analytics through the gateway: after a scripted run (sign-ups, orders, a payment) the metrics
and the customers' own usage show exactly that run's counts."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from tests.e2e.shopping import ADDRESS, add_to_cart_when_known, new_customer, new_product, wait_for

METRICS = "/api/v1/analytics/metrics/"


def test_metrics_count_exactly_the_scripted_run(platform, admin, category):
    product = new_product(admin, category, stock=10, price="12.50")
    start = datetime.now(UTC)
    period = {
        "from": start.isoformat(),
        "to": (start + timedelta(hours=2)).isoformat(),
        "granularity": "hour",
    }

    buyer, payer, browser = (new_customer(platform) for _ in range(3))
    orders = {}
    for customer in (buyer, payer):
        add_to_cart_when_known(customer, product["id"])
        placed = customer.post(
            "/api/v1/orders/", {"shipping_address": ADDRESS}, headers={"Idempotency-Key": str(uuid.uuid4())}
        )
        assert placed.status_code == 201, placed.text
        orders[customer] = placed.json()["data"]["id"]

    def confirmed():
        order = payer.get(f"/api/v1/orders/{orders[payer]}/").json()["data"]
        return order["status"] == "confirmed"

    wait_for(confirmed)
    paid = payer.post("/api/v1/payments/", {"order_id": orders[payer], "payment_method": "4242424242424242"})
    assert paid.status_code == 201, paid.text

    def total(metric: str, column: str) -> int:
        response = admin.get(f"{METRICS}{metric}/", **period)
        assert response.status_code == 200, response.text
        return sum(row[column] for row in response.json()["data"])

    def revenue() -> dict[str, Decimal]:
        rows = admin.get(f"{METRICS}revenue/", **period).json()["data"]
        sums: dict[str, Decimal] = {}
        for row in rows:
            sums[row["currency"]] = sums.get(row["currency"], Decimal(0)) + Decimal(row["amount"])
        return sums

    def counted():
        return (
            total("signups", "signups"),
            total("orders", "orders"),
            total("checkout-conversion", "placed"),
            total("checkout-conversion", "paid"),
            revenue(),
        )

    expected = (3, 2, 2, 1, {"USD": Decimal("12.50")})
    wait_for(lambda: counted() == expected, timeout=60, interval=0.5)
    assert counted() == expected

    usage = payer.get("/api/v1/analytics/me/usage/").json()["data"]
    assert [(row["orders_placed"], row["revenue"]) for row in usage] == [(1, {"USD": "12.5000"})]
    assert browser.get("/api/v1/analytics/me/usage/").json()["data"] == []
    refused = buyer.get(f"{METRICS}signups/", **period)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "permission_denied"
