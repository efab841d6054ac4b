"""/analytics/: the dashboard's page and data for staff signed in with identity's accounts
(servicekit.websession), refused to everyone else; Chart.js served by the service itself."""

import json
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone

from analytics.dashboard.session import DASHBOARD
from tests import events
from tests.conftest import request, utc

pytestmark = pytest.mark.django_db

SERVICE_DIR = Path(__file__).resolve().parents[2]
MON, TUE, WED = utc(2031, 9, 1), utc(2031, 9, 2), utc(2031, 9, 3)  # 1 September 2031 is a Monday
PERIOD = {"from": "2031-09-01", "to": "2031-09-03", "granularity": "day"}  # `to` included
USER = uuid.UUID(int=7)
O1, O2, O3 = (uuid.UUID(int=100 + n) for n in range(3))
M1, M2 = uuid.UUID(int=201), uuid.UUID(int=202)


@pytest.fixture
def staff(web_client_for) -> Client:
    return web_client_for(DASHBOARD, roles=("staff",))


@pytest.fixture
def customer(web_client_for) -> Client:
    return web_client_for(DASHBOARD, roles=("customer", "vendor"))


@pytest.fixture
def seeded(ingest, request_log_stream):
    hour = timedelta(hours=1)
    ingest(
        [
            events.registered(uuid.uuid4(), at=MON),
            events.registered(uuid.uuid4(), at=MON + hour),
            events.registered(uuid.uuid4(), at=WED + 23 * hour),  # the last day is included
            events.registered(uuid.uuid4(), at=WED + 24 * hour),  # the day after is not
            events.placed(USER, O1, at=MON + hour),
            events.placed(USER, O2, at=TUE + hour),
            events.placed(USER, O3, at=TUE + 2 * hour, currency="EUR"),
            events.paid(USER, O1, at=MON + 2 * hour, amount="20.00"),
            events.paid(USER, O3, at=TUE + 3 * hour, amount="5.25", currency="EUR"),
            events.refunded(USER, O1, at=WED, amount="20.00"),
            events.message_sent(USER, M1, at=MON),
            events.message_sent(USER, M2, at=MON),
            events.message_delivered(M1, at=MON + hour),
            events.build_published(USER, uuid.uuid4(), at=TUE),
            events.build_published(USER, uuid.uuid4(), at=TUE),
            events.build_failed(uuid.uuid4(), at=TUE),
        ]
    )
    request_log_stream.ship(
        *(request(at=MON + hour, duration_ms=float(ms)) for ms in (10, 20, 30, 40)),
        request(at=TUE, route="/api/v1/orders/{id}/", duration_ms=50.0, status=502),
        request(at=TUE, service="catalog", route="/api/v1/catalog/products/", duration_ms=5.0),
        request(at=WED + 24 * hour, service="catalog", duration_ms=900.0),  # after the period
    )
    request_log_stream.ingest()


# -- who may see it ------------------------------------------------------------------------


def test_a_signed_out_browser_is_sent_to_sign_in_and_its_script_gets_a_401():
    response = Client().get("/analytics/?granularity=week")
    assert response.status_code == 302
    assert response["Location"] == "/analytics/login/?next=%2Fanalytics%2F%3Fgranularity%3Dweek"
    data = Client().get("/analytics/data/", HTTP_ACCEPT="application/json")
    assert data.status_code == 401
    assert data.json()["error"]["code"] == "not_authenticated"


def test_the_login_page_signs_in_with_identity_through_the_gateway():
    html = Client().get("/analytics/login/?next=/analytics/?granularity=hour").content.decode()
    assert 'data-login-url="/api/v1/auth/login/"' in html
    assert 'data-session-url="/analytics/session/"' in html
    assert 'data-next="/analytics/?granularity=hour"' in html


def test_a_signed_in_user_without_the_staff_role_gets_a_clear_403_page(customer, seeded):
    response = customer.get("/analytics/")
    html = response.content.decode()
    assert response.status_code == 403
    assert "Forbidden" in html and "The analytics dashboard is for staff." in html
    assert "signed in, not staff" in html and 'action="/analytics/logout/"' in html
    assert "chart-signups" not in html
    data = customer.get("/analytics/data/", PERIOD, HTTP_ACCEPT="application/json")
    assert data.status_code == 403
    assert data.json()["error"]["code"] == "permission_denied"
    assert "buckets" not in data.content.decode()


def test_a_metrics_api_token_is_no_dashboard_session(token_factory):
    bearer = f"Bearer {token_factory.access_token(roles=('staff',))}"
    assert Client().get("/analytics/", HTTP_AUTHORIZATION=bearer).status_code == 302


def test_the_session_cookies_are_the_dashboards_own(staff):
    assert DASHBOARD.access_cookie == "analytics_dashboard_access"
    assert DASHBOARD.path == "/analytics/"
    builds_console = Client()
    builds_console.cookies["builds_console_access"] = staff.cookies[DASHBOARD.access_cookie].value
    assert builds_console.get("/analytics/").status_code == 302


# -- the page ------------------------------------------------------------------------------


def test_staff_get_the_page_with_its_charts_picker_and_local_chartjs(staff):
    response = staff.get("/analytics/")
    html = response.content.decode()
    today = timezone.now().date()
    assert response.status_code == 200
    for chart in ("signups", "orders", "revenue", "latency", "errors", "delivery", "builds"):
        assert f'<canvas id="chart-{chart}">' in html
    assert f'value="{(today - timedelta(days=29)).isoformat()}"' in html  # the last 30 days
    assert f'value="{today.isoformat()}"' in html
    assert '<option value="day" selected>' in html
    assert 'src="/static/analytics/chartjs/chart.umd.min.js"' in html
    assert 'src="/static/analytics/dashboard/dashboard.js"' in html
    assert 'data-data-url="/analytics/data/"' in html
    assert "<script>" not in html  # the gateway's Content-Security-Policy allows no inline script


def test_the_picker_keeps_the_range_asked_for(staff):
    html = staff.get("/analytics/", PERIOD | {"granularity": "hour"}).content.decode()
    assert 'value="2031-09-01"' in html and 'value="2031-09-03"' in html
    assert '<option value="hour" selected>' in html


def _served(client: Client, path: str) -> bytes:
    response = client.get(path)
    assert response.status_code == 200, path
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_chartjs_is_the_locked_npm_release_served_by_the_service(staff):
    lock = json.loads((SERVICE_DIR / "package-lock.json").read_text())
    version = lock["packages"]["node_modules/chart.js"]["version"]
    assert json.loads((SERVICE_DIR / "package.json").read_text())["dependencies"]["chart.js"] == version
    body = _served(Client(), "/static/analytics/chartjs/chart.umd.min.js")
    assert f"Chart.js v{version}".encode() in body[:500]
    assert b"Chart.js" in _served(Client(), "/static/analytics/dashboard/dashboard.js")
    assert _served(Client(), "/static/analytics/bootstrap/css/bootstrap.min.css")


# -- its data ------------------------------------------------------------------------------


def test_the_data_is_every_chart_for_the_days_picked(staff, seeded):
    response = staff.get("/analytics/data/", PERIOD, HTTP_ACCEPT="application/json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["meta"]["request_id"]
    assert body["data"] == {
        "period": {
            "from": "2031-09-01T00:00:00+00:00",
            "to": "2031-09-04T00:00:00+00:00",
            "granularity": "day",
        },
        "buckets": ["2031-09-01T00:00:00+00:00", "2031-09-02T00:00:00+00:00", "2031-09-03T00:00:00+00:00"],
        "signups": [2, 0, 1],
        "orders": [1, 2, 0],
        "revenue": {"EUR": ["0.0000", "5.2500", "0.0000"], "USD": ["20.0000", "0.0000", "-20.0000"]},
        "delivery": {"sent": [2, 0, 0], "delivered": [1, 0, 0], "rate": [0.5, None, None]},
        "builds": {"published": [0, 2, 0], "failed": [0, 1, 0], "rate": [None, 0.6667, None]},
        "services": [
            {
                "service": "catalog",
                "requests": 1,
                "p50_ms": 5.0,
                "p95_ms": 5.0,
                "errors": 0,
                "error_rate": 0.0,
            },
            # Both orders routes together: p50 of 10, 20, 30, 40, 50 is 30, p95 48.
            {
                "service": "orders",
                "requests": 5,
                "p50_ms": 30.0,
                "p95_ms": 48.0,
                "errors": 1,
                "error_rate": 0.2,
            },
        ],
    }


def test_the_data_by_the_hour(staff, seeded):
    one_day = {"from": "2031-09-01", "to": "2031-09-01", "granularity": "hour"}
    data = staff.get("/analytics/data/", one_day).json()["data"]
    assert len(data["buckets"]) == 24 and data["buckets"][1] == "2031-09-01T01:00:00+00:00"
    assert data["signups"][:3] == [1, 1, 0] and sum(data["signups"]) == 2
    assert data["revenue"] == {"USD": ["0.0000", "0.0000", "20.0000", *["0.0000"] * 21]}


def test_the_data_of_an_empty_period_has_zeros_in_every_bucket(staff):
    data = staff.get("/analytics/data/", {"from": "2031-01-05", "to": "2031-01-06"}).json()["data"]
    assert data["signups"] == [0, 0] and data["orders"] == [0, 0]
    assert data["revenue"] == {} and data["services"] == []
    assert data["builds"] == {"published": [0, 0], "failed": [0, 0], "rate": [None, None]}


def test_without_a_range_the_data_is_the_last_30_days(staff):
    data = staff.get("/analytics/data/").json()["data"]
    today = timezone.now().date()
    assert len(data["buckets"]) == 30
    assert data["buckets"][0].startswith((today - timedelta(days=29)).isoformat())
    assert data["buckets"][-1].startswith(today.isoformat())


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"from": "2031-09-03", "to": "2031-09-01"}, "to"),
        ({"from": "yesterday"}, "from"),
        ({"to": "2031-02-30"}, "to"),
        ({"granularity": "month"}, "granularity"),
        ({"from": "2020-01-01", "to": "2031-01-01", "granularity": "hour"}, "granularity"),
    ],
)
def test_a_bad_range_is_a_400_naming_the_parameter(staff, query, field):
    response = staff.get("/analytics/data/", query, HTTP_ACCEPT="application/json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert list(error["details"]) == [field]


def test_blank_parameters_count_as_absent(staff):
    response = staff.get("/analytics/data/", {"from": "", "to": " ", "granularity": ""})
    assert response.status_code == 200
    assert len(response.json()["data"]["buckets"]) == 30


def test_the_data_takes_only_get(staff):
    assert staff.post("/analytics/data/", PERIOD).status_code == 405
