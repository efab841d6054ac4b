"""/api/v1/analytics/metrics/…: each metric over a hand-built set with known answers, its CSV,
its validation and who may read it."""

import csv
import io
import uuid
from datetime import timedelta

import pytest

from tests import events
from tests.conftest import request, utc

pytestmark = pytest.mark.django_db
METRICS = "/api/v1/analytics/metrics/"
MON, TUE, WED = utc(2031, 9, 1), utc(2031, 9, 2), utc(2031, 9, 3)  # 1 September 2031 is a Monday
PERIOD = {"from": "2031-09-01", "to": "2031-09-03", "granularity": "day"}
USER = uuid.UUID(int=7)
O1, O2, O3 = (uuid.UUID(int=100 + n) for n in range(3))
M1, M2 = uuid.UUID(int=201), uuid.UUID(int=202)
B1, B2, B3 = (uuid.UUID(int=300 + n) for n in range(3))
ALL = [
    "signups",
    "orders",
    "revenue",
    "checkout-conversion",
    "order-rejection-rate",
    "build-success-rate",
    "message-delivery-rate",
    "requests",
]


@pytest.fixture
def platform(ingest, request_log_stream):
    hour = timedelta(hours=1)
    ingest(
        [
            events.registered(uuid.uuid4(), at=MON),
            events.registered(uuid.uuid4(), at=MON + hour),
            events.registered(uuid.uuid4(), at=TUE),
            events.registered(uuid.uuid4(), at=WED),  # `to` is exclusive
            events.placed(USER, O1, at=MON + hour),
            events.placed(USER, O2, at=MON + 2 * hour),
            events.placed(USER, O3, at=TUE + hour),
            events.paid(USER, O1, at=MON + 3 * hour, amount="20.00"),
            events.paid(USER, O3, at=TUE + 2 * hour, amount="5.25", currency="EUR"),
            events.rejected(USER, O2, at=MON + 3 * hour),
            events.message_sent(USER, M1, at=MON),
            events.message_sent(USER, M2, at=MON),
            events.message_delivered(M1, at=MON + hour),
            events.build_published(USER, B1, at=TUE),
            events.build_published(USER, B2, at=TUE),
            events.build_failed(B3, at=TUE),
        ]
    )
    request_log_stream.ship(
        *(request(at=MON + hour, duration_ms=float(ms)) for ms in (10, 20, 30, 40)),
        request(at=MON + hour, duration_ms=50.0, status=502),
        request(at=TUE, service="catalog", route="/api/v1/catalog/products/", duration_ms=5.0),
    )
    request_log_stream.ingest()


def _data(response):
    assert response.status_code == 200, response.content
    return response.json()["data"]


def test_counts_per_day(staff_client, platform):
    signups = _data(staff_client.get(f"{METRICS}signups/", PERIOD))
    orders = _data(staff_client.get(f"{METRICS}orders/", PERIOD))

    assert signups == [
        {"bucket": "2031-09-01T00:00:00Z", "signups": 2},
        {"bucket": "2031-09-02T00:00:00Z", "signups": 1},
    ]
    assert [row["orders"] for row in orders] == [2, 1]


def test_hours_and_weeks(staff_client, platform):
    hours = _data(staff_client.get(f"{METRICS}signups/", {**PERIOD, "granularity": "hour"}))
    weeks = _data(staff_client.get(f"{METRICS}signups/", {**PERIOD, "granularity": "week"}))

    assert len(hours) == 48
    assert [row["signups"] for row in hours[:3]] == [1, 1, 0]
    assert weeks == [{"bucket": "2031-09-01T00:00:00Z", "signups": 3}]


def test_revenue_per_currency_and_filtered_by_one(staff_client, platform):
    rows = _data(staff_client.get(f"{METRICS}revenue/", PERIOD))
    usd = _data(staff_client.get(f"{METRICS}revenue/", {**PERIOD, "currency": "USD"}))

    assert [(row["bucket"][:10], row["currency"], row["amount"]) for row in rows] == [
        ("2031-09-01", "EUR", "0.0000"),
        ("2031-09-01", "USD", "20.0000"),
        ("2031-09-02", "EUR", "5.2500"),
        ("2031-09-02", "USD", "0.0000"),
    ]
    assert [row["amount"] for row in usd] == ["20.0000", "0.0000"]


def test_rates(staff_client, platform):
    def rows(metric, *keys):
        return [tuple(row[k] for k in keys) for row in _data(staff_client.get(f"{METRICS}{metric}/", PERIOD))]

    assert rows("checkout-conversion", "placed", "paid", "rate") == [(2, 1, 0.5), (1, 1, 1.0)]
    assert rows("order-rejection-rate", "placed", "rejected", "rate") == [(2, 1, 0.5), (1, 0, 0.0)]
    assert rows("message-delivery-rate", "sent", "delivered", "rate") == [(2, 1, 0.5), (0, 0, None)]
    assert rows("build-success-rate", "published", "failed", "rate") == [(0, 0, None), (2, 1, 0.6667)]


def test_latency_and_errors_per_service_and_route(staff_client, platform):
    whole = _data(staff_client.get(f"{METRICS}requests/", {**PERIOD, "per_bucket": "false"}))
    orders = _data(staff_client.get(f"{METRICS}requests/", {**PERIOD, "service": "orders"}))

    assert whole == [
        {
            "bucket": None,
            "service": "catalog",
            "route": "/api/v1/catalog/products/",
            "requests": 1,
            "p50_ms": 5.0,
            "p95_ms": 5.0,
            "errors": 0,
            "error_rate": 0.0,
        },
        {
            "bucket": None,
            "service": "orders",
            "route": "/api/v1/orders/",
            "requests": 5,
            "p50_ms": 30.0,
            "p95_ms": 48.0,
            "errors": 1,
            "error_rate": 0.2,
        },
    ]
    assert [(row["bucket"], row["service"], row["requests"]) for row in orders] == [
        ("2031-09-01T00:00:00Z", "orders", 5)
    ]


@pytest.mark.parametrize("metric", ALL)
def test_every_metric_exports_its_rows_as_csv(staff_client, platform, metric):
    query = {**PERIOD, "per_bucket": "false"} if metric == "requests" else PERIOD
    rows = _data(staff_client.get(f"{METRICS}{metric}/", query))

    response = staff_client.get(f"{METRICS}{metric}/export/", query)

    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Disposition"] == f'attachment; filename="{metric}.csv"'
    exported = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert exported[0] == list(rows[0])
    assert len(exported) == len(rows) + 1


def test_the_csv_cells(staff_client, platform):
    response = staff_client.get(f"{METRICS}checkout-conversion/export/", PERIOD)

    assert b"".join(response.streaming_content).decode().splitlines() == [
        "bucket,placed,paid,rate",
        "2031-09-01T00:00:00+00:00,2,1,0.5",
        "2031-09-02T00:00:00+00:00,1,1,1.0",
    ]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"granularity": "month"}, "granularity"),
        ({"from": "not-a-date"}, "from"),
        ({"to": "2031-09-32"}, "to"),
        ({"from": "2031-09-03", "to": "2031-09-01"}, "to"),
        ({"from": "2000-01-01", "to": "2031-01-01", "granularity": "hour"}, "granularity"),
        ({"per_bucket": "maybe"}, "per_bucket"),
    ],
)
def test_a_bad_period_is_a_400_naming_the_field(staff_client, query, field):
    for url in (f"{METRICS}requests/", f"{METRICS}requests/export/"):
        response = staff_client.get(url, query)

        assert response.status_code == 400, url
        assert response["Content-Type"].startswith("application/json")
        assert response.json()["error"]["code"] == "validation_error"
        assert list(response.json()["error"]["details"]) == [field]


def test_a_bad_currency_is_a_400(staff_client):
    response = staff_client.get(f"{METRICS}revenue/", {"currency": "usd"})

    assert response.status_code == 400
    assert list(response.json()["error"]["details"]) == ["currency"]


def test_the_default_period_is_the_last_30_days_by_day(staff_client):
    rows = _data(staff_client.get(f"{METRICS}signups/"))

    assert len(rows) in (30, 31)  # 30 days back from now: 31 buckets unless now is midnight
    assert {row["signups"] for row in rows} == {0}


@pytest.mark.parametrize("metric", ALL)
def test_only_staff_read_metrics(auth_client, api_client, platform, metric):
    for url in (f"{METRICS}{metric}/", f"{METRICS}{metric}/export/"):
        refused = auth_client.get(url, PERIOD)
        assert refused.status_code == 403
        assert refused.json()["error"]["code"] == "permission_denied"
        assert api_client.get(url, PERIOD).status_code == 401
