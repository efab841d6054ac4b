"""The analytics dashboard in a real browser: Debian's headless chromium signs in as staff
through identity and the gateway, loads /analytics/ for a seeded period and reads back what
Chart.js drew (each chart's data, exactly the seeded counts); the range picker redraws by the
hour; a signed-in customer gets the 403 page. Screenshots under var/test-reports/."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from selenium.webdriver.common.by import By

from tests.e2e.browser import chromium, open_signed_in, save_screenshot, waiting
from tests.e2e.dashboard import read_charts
from tests.e2e.shopping import ADMIN_PASSWORD, CUSTOMER_PASSWORD, create_admin, register
from tests.harness import ROOT, Platform

FIRST_DAY = (datetime.now(UTC) - timedelta(days=3)).date()  # three whole days before today
DAYS = [FIRST_DAY + timedelta(days=n) for n in range(3)]

# Run in analytics' Django shell: the events through the consumer's own path (handlers, inbox),
# request logs through the ingester's (a stream of this run's own), at known times.
SEED = """
import importlib.util, json, uuid
from datetime import date, datetime, time, timedelta, UTC
import redis
from analytics.requestlogs.services import request_logs_ingest
from servicekit.events.inbox import handle_events
from servicekit.events.registry import load_registry
from servicekit.observability.requestlog import encode_entry, request_log_conf

spec = importlib.util.spec_from_file_location("analytics_test_events", EVENTS_PY)
events = importlib.util.module_from_spec(spec)
spec.loader.exec_module(events)
d0 = datetime.combine(date.fromisoformat(FIRST_DAY), time.min, tzinfo=UTC)
d1, d2, h = d0 + timedelta(days=1), d0 + timedelta(days=2), timedelta(hours=1)
user, o1, o2, o3, m1, m2 = (uuid.uuid4() for _ in range(6))
batch = [
    events.registered(uuid.uuid4(), at=d0 + h),
    events.registered(uuid.uuid4(), at=d0 + 5 * h),
    events.registered(uuid.uuid4(), at=d1 + 2 * h),
    events.registered(uuid.uuid4(), at=d2 + 24 * h),  # the day after the period
    events.placed(user, o1, at=d0 + 2 * h),
    events.placed(user, o2, at=d1 + 3 * h),
    events.placed(user, o3, at=d1 + 4 * h, currency="EUR"),
    events.paid(user, o1, at=d0 + 3 * h, amount="20.00"),
    events.paid(user, o3, at=d1 + 5 * h, amount="7.50", currency="EUR"),
    events.message_sent(user, m1, at=d0 + h),
    events.message_sent(user, m2, at=d0 + h),
    events.message_delivered(m1, at=d0 + 2 * h),
    events.build_published(user, uuid.uuid4(), at=d1 + h),
    events.build_published(user, uuid.uuid4(), at=d1 + h),
    events.build_failed(uuid.uuid4(), at=d1 + 2 * h),
]
assert all(outcome.ok for outcome in handle_events(batch, load_registry()))

def logged(at, duration_ms, status=200, service="orders", route="/api/v1/orders/"):
    return {"at": at.timestamp(), "service": service, "method": "GET", "route": route, "status": status,
            "error_code": None, "duration_ms": duration_ms, "user_id": None, "client_ip": "203.0.113.9",
            "request_id": uuid.uuid4().hex}

records = [logged(d0 + h, ms, 500 if ms == 30 else 200) for ms in (10, 20, 30, 40)]
records.append(logged(d1 + h, 5, service="catalog", route="/api/v1/catalog/products/"))
client = redis.Redis.from_url(request_log_conf().redis_url)
stream = "e2e:analytics-dashboard:" + uuid.uuid4().hex
client.xadd(stream, encode_entry(records))
request_logs_ingest(client=client, stream=stream, max_entries=20)
client.delete(stream)
print(json.dumps(len(batch)))
"""


@pytest.fixture(scope="module")
def dashboard_platform():
    with Platform(services=["identity", "analytics"], processes=("web",)) as running:
        yield running
        running.assert_alive()


@pytest.fixture(scope="module")
def seeded(dashboard_platform) -> None:
    code = f"EVENTS_PY = {str(ROOT / 'services/analytics/tests/events.py')!r}\nFIRST_DAY = {FIRST_DAY.isoformat()!r}\n"
    assert dashboard_platform.shell("analytics", code + SEED) == 15


@pytest.fixture
def browser():
    with chromium("analytics-dashboard") as driver:
        yield driver


def test_staff_sign_in_and_the_charts_draw_exactly_the_seeded_data(dashboard_platform, seeded, browser):
    admin = create_admin(dashboard_platform)
    period = f"?from={DAYS[0]}&to={DAYS[2]}&granularity=day"
    url = dashboard_platform.url(f"/analytics/{period}")
    open_signed_in(browser, url, email=admin.email, password=ADMIN_PASSWORD)

    charts = read_charts(browser)
    days = [day.isoformat() for day in DAYS]
    assert charts["signups"] == {"labels": days, "datasets": [["Sign-ups", [2, 1, 0], 3]]}
    assert charts["orders"] == {"labels": days, "datasets": [["Orders placed", [1, 2, 0], 3]]}
    assert charts["revenue"] == {
        "labels": days,
        "datasets": [["EUR", [0, 7.5, 0], 3], ["USD", [20, 0, 0], 3]],
    }
    assert charts["delivery"]["datasets"] == [
        ["sent", [2, 0, 0], 3],
        ["delivered", [1, 0, 0], 3],
        ["delivery rate (%)", [50, None, None], 3],
    ]
    assert charts["builds"]["datasets"] == [
        ["published", [0, 2, 0], 3],
        ["failed", [0, 1, 0], 3],
        ["success rate (%)", [None, 66.67, None], 3],
    ]
    assert charts["latency"] == {
        "labels": ["catalog", "orders"],
        "datasets": [["p50", [5, 25], 2], ["p95", [5, 38.5], 2]],
    }
    assert charts["errors"]["datasets"] == [
        ["5xx responses", [0, 1], 2],
        ["share of requests (%)", [0, 25], 2],
    ]
    shown = browser.find_element(By.ID, "period-shown").text
    assert shown == f"{DAYS[0]} to {DAYS[2]} (UTC), by day"
    totals = {
        element.get_attribute("data-total"): element.text
        for element in browser.find_elements(By.CSS_SELECTOR, "[data-total]")
    }
    assert totals == {
        "signups": "3",
        "orders": "3",
        "revenue": "7.50 EUR, 20.00 USD",
        "delivery": "1 / 2",
        "builds": "2 / 3",
    }
    # Chart.js is the locked npm release, served by analytics through the gateway (no CDN).
    lock = json.loads((ROOT / "services/analytics/package-lock.json").read_text())
    assert (
        browser.execute_script("return Chart.version") == lock["packages"]["node_modules/chart.js"]["version"]
    )
    scripts = [element.get_attribute("src") for element in browser.find_elements(By.TAG_NAME, "script")]
    assert all(src.startswith(dashboard_platform.url("/static/")) for src in scripts), scripts
    cookies = {cookie["name"]: cookie for cookie in browser.get_cookies()}
    assert cookies["analytics_dashboard_access"]["httpOnly"]
    assert "analytics_dashboard" not in browser.execute_script("return document.cookie")
    save_screenshot(browser, "analytics-dashboard.png", whole_page=True)

    # The range picker: the same days by the hour.
    browser.find_element(By.CSS_SELECTOR, "#granularity option[value=hour]").click()
    browser.find_element(By.CSS_SELECTOR, "#period button[type=submit]").click()
    waiting(browser).until(lambda d: "granularity=hour" in d.current_url)
    by_hour = read_charts(browser)
    assert len(by_hour["signups"]["labels"]) == 72
    assert by_hour["signups"]["labels"][1] == f"{DAYS[0]} 01:00"
    signups = by_hour["signups"]["datasets"][0][1]
    assert [(hour, count) for hour, count in enumerate(signups) if count] == [(1, 1), (5, 1), (26, 1)]
    save_screenshot(browser, "analytics-dashboard-hourly.png")


def test_a_signed_in_customer_gets_the_403_page(dashboard_platform, seeded, browser):
    email = register(dashboard_platform)
    open_signed_in(browser, dashboard_platform.url("/analytics/"), email=email, password=CUSTOMER_PASSWORD)
    assert browser.find_element(By.CSS_SELECTOR, "[data-testid=error-title]").text == "Forbidden"
    assert "for staff" in browser.find_element(By.CSS_SELECTOR, "[data-testid=error-message]").text
    assert not browser.find_elements(By.TAG_NAME, "canvas")
    save_screenshot(browser, "analytics-dashboard-forbidden.png")
    browser.find_element(By.CSS_SELECTOR, "nav form button[type=submit]").click()  # sign out
    waiting(browser).until(lambda d: "/analytics/login/" in d.current_url)
