"""Analytics through the gateway: after a scripted run (sign-ups, orders, a payment) the metrics,
the customers' own usage and the dashboard (in headless chromium, signed in as staff) show
exactly that run's counts."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from selenium.webdriver.common.by import By

from tests.e2e.browser import chromium, open_signed_in, save_screenshot
from tests.e2e.dashboard import read_charts, series
from tests.e2e.shopping import (
    ADDRESS,
    ADMIN_PASSWORD,
    add_to_cart_when_known,
    new_customer,
    new_product,
    wait_for,
)

METRICS = "/api/v1/analytics/metrics/"


@pytest.fixture
def dashboard():
    """Chromium, for the dashboard (``browser`` below is a customer who only browses)."""
    with chromium("analytics-e2e") as driver:
        yield driver


def test_metrics_count_exactly_the_scripted_run(platform, admin, category, dashboard):
    product = new_product(admin, category, stock=10, price="12.50")
    # The dashboard, open before the run: its days (yesterday to tomorrow, UTC) hold what the
    # suite did before this test too, so the run must add exactly its own counts to it.
    today = datetime.now(UTC).date()
    days = {"from": today - timedelta(days=1), "to": today + timedelta(days=1), "granularity": "day"}
    dashboard_url = platform.url("/analytics/?" + "&".join(f"{key}={value}" for key, value in days.items()))
    open_signed_in(dashboard, dashboard_url, email=admin.email, password=ADMIN_PASSWORD)
    before = _dashboard_matching_the_metrics(admin, dashboard, days)
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

    dashboard.find_element(By.CSS_SELECTOR, "#period button[type=submit]").click()  # show again
    after = _dashboard_matching_the_metrics(admin, dashboard, days)
    assert _difference(after, before) == (3, 2, {"USD": Decimal("12.50")})
    save_screenshot(dashboard, "analytics-e2e-dashboard.png", whole_page=True)

    usage = payer.get("/api/v1/analytics/me/usage/").json()["data"]
    assert [(row["orders_placed"], row["revenue"]) for row in usage] == [(1, {"USD": "12.5000"})]
    assert browser.get("/api/v1/analytics/me/usage/").json()["data"] == []
    refused = buyer.get(f"{METRICS}signups/", **period)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "permission_denied"


Totals = tuple[int, int, dict[str, Decimal]]


def _dashboard_matching_the_metrics(admin, dashboard, days: dict) -> Totals:
    """The dashboard's sign-ups, orders and revenue over ``days``, once its charts show exactly
    what the metrics API answers for the same days (the page asked again while an event landed
    between the two reads); their totals."""
    period = {
        "from": days["from"].isoformat(),
        "to": (days["to"] + timedelta(days=1)).isoformat(),
        "granularity": "day",
    }
    drawn: dict = {}

    def agree() -> bool:
        api = {
            metric: admin.get(f"{METRICS}{metric}/", **period).json()["data"]
            for metric in ("signups", "orders", "revenue")
        }
        drawn.update(read_charts(dashboard))
        revenue = {row["currency"]: [] for row in api["revenue"]}
        for row in api["revenue"]:
            revenue[row["currency"]].append(Decimal(row["amount"]))
        shown = {
            name: [Decimal(str(value)) for value in values]
            for name, values, _ in drawn["revenue"]["datasets"]
        }
        matches = (
            series(drawn, "signups", "Sign-ups") == [row["signups"] for row in api["signups"]]
            and series(drawn, "orders", "Orders placed") == [row["orders"] for row in api["orders"]]
            and shown == revenue
        )
        if not matches:
            dashboard.find_element(By.CSS_SELECTOR, "#period button[type=submit]").click()
        return matches

    wait_for(agree, timeout=60, interval=1.0)
    revenue = {
        name: sum((Decimal(str(value)) for value in values), Decimal(0))
        for name, values, _ in drawn["revenue"]["datasets"]
    }
    return sum(series(drawn, "signups", "Sign-ups")), sum(series(drawn, "orders", "Orders placed")), revenue


def _difference(after: Totals, before: Totals) -> Totals:
    currencies = after[2].keys() | before[2].keys()
    money = {code: after[2].get(code, Decimal(0)) - before[2].get(code, Decimal(0)) for code in currencies}
    return (
        after[0] - before[0],
        after[1] - before[1],
        {code: amount for code, amount in money.items() if amount},
    )
