"""Platform metrics over hand-built events and request logs whose answers are known."""

import uuid
from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from analytics.metrics import selectors as metrics
from analytics.metrics.period import Period
from servicekit.envelope import ApplicationError
from tests import events
from tests.conftest import request, utc

pytestmark = pytest.mark.django_db

MON, TUE, WED, THU = (utc(2031, 9, day) for day in (1, 2, 3, 4))  # 1 September 2031 is a Monday
DAYS = Period(MON, THU, "day")
USER = uuid.UUID(int=7)
O1, O2, O3, O4, O5 = (uuid.UUID(int=100 + n) for n in range(5))
M1, M2, M3, M4 = (uuid.UUID(int=200 + n) for n in range(4))


def _rows(rows, *keys):
    return [tuple(row[key] for key in ("bucket", *keys)) for row in rows]


@pytest.fixture
def shop(ingest):
    ingest(
        [
            events.registered(uuid.uuid4(), at=MON - timedelta(microseconds=1)),  # before the period
            events.registered(uuid.uuid4(), at=MON),
            events.registered(uuid.uuid4(), at=MON + timedelta(hours=23)),
            events.registered(uuid.uuid4(), at=WED + timedelta(hours=1)),
            events.registered(uuid.uuid4(), at=THU),  # the end is exclusive
            events.placed(USER, O1, at=MON + timedelta(hours=1)),
            events.placed(USER, O2, at=MON + timedelta(hours=2)),
            events.placed(USER, O3, at=MON + timedelta(hours=3), currency="EUR"),
            events.placed(USER, O4, at=TUE + timedelta(hours=1)),
            events.placed(USER, O5, at=TUE + timedelta(hours=2)),
            events.paid(USER, O1, at=MON + timedelta(hours=4), amount="10.00"),
            events.paid(USER, O2, at=TUE + timedelta(hours=4), amount="5.50"),
            events.paid(USER, O3, at=TUE + timedelta(hours=5), amount="20.00", currency="EUR"),
            events.refunded(USER, O1, at=WED + timedelta(hours=6), amount="10.00"),
            events.rejected(USER, O5, at=TUE + timedelta(hours=3)),
            events.build_published(USER, uuid.uuid4(), at=MON + timedelta(hours=5)),
            events.build_published(USER, uuid.uuid4(), at=MON + timedelta(hours=6)),
            events.build_published(USER, uuid.uuid4(), at=MON + timedelta(hours=7)),
            events.build_failed(uuid.uuid4(), at=MON + timedelta(hours=8)),
            events.message_sent(USER, M1, at=MON + timedelta(hours=1)),
            events.message_sent(USER, M2, at=MON + timedelta(hours=1)),
            events.message_sent(USER, M3, at=MON + timedelta(hours=1)),
            events.message_delivered(M1, at=MON + timedelta(hours=2)),
            events.message_delivered(M1, at=MON + timedelta(hours=3), read=True),
            events.message_delivered(M2, at=MON + timedelta(hours=3), read=True),
            events.message_sent(USER, M4, at=TUE + timedelta(hours=1)),
            events.message_delivered(M4, at=WED + timedelta(hours=1)),
        ]
    )


def test_signups_per_day_with_empty_days_and_exclusive_end(shop):
    assert _rows(metrics.signups(period=DAYS), "signups") == [(MON, 2), (TUE, 0), (WED, 1)]


def test_signups_per_hour(shop):
    hours = Period(MON + timedelta(hours=22), TUE + timedelta(hours=1), "hour")
    assert _rows(metrics.signups(period=hours), "signups") == [
        (MON + timedelta(hours=22), 0),
        (MON + timedelta(hours=23), 1),
        (TUE, 0),
    ]


def test_orders_per_week_buckets_start_on_monday(shop, ingest):
    ingest([events.placed(USER, uuid.uuid4(), at=utc(2031, 9, 8, 9))])
    weeks = Period(WED, utc(2031, 9, 22), "week")  # starts mid-week: counts from Wednesday on
    assert _rows(metrics.orders_placed(period=weeks), "orders") == [
        (MON, 0),
        (utc(2031, 9, 8), 1),
        (utc(2031, 9, 15), 0),
    ]


def test_orders_per_day(shop):
    assert _rows(metrics.orders_placed(period=DAYS), "orders") == [(MON, 3), (TUE, 2), (WED, 0)]


def test_revenue_per_day_and_currency_net_of_refunds(shop):
    assert _rows(metrics.revenue(period=DAYS), "currency", "amount") == [
        (MON, "EUR", Decimal("0")),
        (MON, "USD", Decimal("10.0000")),
        (TUE, "EUR", Decimal("20.0000")),
        (TUE, "USD", Decimal("5.5000")),
        (WED, "EUR", Decimal("0")),
        (WED, "USD", Decimal("-10.0000")),
    ]
    assert _rows(metrics.revenue(period=DAYS, currency="EUR"), "currency", "amount") == [
        (MON, "EUR", Decimal("0")),
        (TUE, "EUR", Decimal("20.0000")),
        (WED, "EUR", Decimal("0")),
    ]


def test_checkout_conversion_follows_the_orders_placed_in_each_bucket(shop):
    assert _rows(metrics.checkout_conversion(period=DAYS), "placed", "paid", "rate") == [
        (MON, 3, 3, 1.0),  # O2 and O3 were paid the next day: they count for Monday
        (TUE, 2, 0, 0.0),
        (WED, 0, 0, None),
    ]


def test_order_rejection_rate(shop):
    assert _rows(metrics.order_rejection_rate(period=DAYS), "placed", "rejected", "rate") == [
        (MON, 3, 0, 0.0),
        (TUE, 2, 1, 0.5),
        (WED, 0, 0, None),
    ]


def test_build_success_rate(shop):
    assert _rows(metrics.build_success_rate(period=DAYS), "published", "failed", "rate") == [
        (MON, 3, 1, 0.75),
        (TUE, 0, 0, None),
        (WED, 0, 0, None),
    ]


def test_message_delivery_rate_counts_a_read_message_as_delivered_once(shop):
    assert _rows(metrics.message_delivery_rate(period=DAYS), "sent", "delivered", "rate") == [
        (MON, 3, 2, 0.6667),
        (TUE, 1, 1, 1.0),
        (WED, 0, 0, None),
    ]


@pytest.fixture
def traffic(request_log_stream):
    user = uuid.UUID(int=9)
    request_log_stream.ship(
        *(
            request(at=MON + timedelta(minutes=n), duration_ms=ms, status=status, user=user, method="POST")
            for n, (ms, status) in enumerate([(10, 201), (20, 201), (30, 500), (40, 201)])
        ),
        request(at=TUE, service="catalog", route="/api/v1/catalog/products/", duration_ms=5),
        request(at=TUE, duration_ms=100, status=404, error_code="not_found"),
        request(at=THU, duration_ms=999),  # outside the period
    )
    request_log_stream.ingest()
    return user


def test_latency_percentiles_and_error_rate_per_service_and_route(traffic):
    stats = metrics.request_stats(period=DAYS, per_bucket=False)

    assert [tuple(row.values()) for row in stats] == [
        (None, "catalog", "/api/v1/catalog/products/", 1, 5.0, 5.0, 0, 0.0),
        (None, "orders", "/api/v1/orders/", 5, 30.0, 88.0, 1, 0.2),
    ]


def test_request_stats_per_service_over_all_its_routes(traffic, request_log_stream):
    request_log_stream.ship(request(at=TUE, route="/api/v1/orders/{id}/", duration_ms=50.0, status=503))
    request_log_stream.ingest()

    stats = metrics.request_stats(period=DAYS, per_bucket=False, per_route=False)

    # orders: 10, 20, 30 (a 500), 40, 100 and 50 (a 503) over two routes.
    assert [tuple(row.values()) for row in stats] == [
        (None, "catalog", None, 1, 5.0, 5.0, 0, 0.0),
        (None, "orders", None, 6, 35.0, 87.5, 2, 0.3333),
    ]


def test_request_stats_per_bucket_and_filtered(traffic):
    per_day = metrics.request_stats(period=DAYS, service="orders")
    assert _rows(per_day, "requests", "p50_ms", "p95_ms", "errors", "error_rate") == [
        (MON, 4, 25.0, 38.5, 1, 0.25),
        (TUE, 1, 100.0, 100.0, 0, 0.0),
    ]
    assert _rows(metrics.request_stats(period=DAYS, user_id=traffic, method="post"), "requests") == [(MON, 4)]
    assert metrics.request_stats(period=DAYS, route="/nowhere/") == []


@pytest.mark.parametrize(
    ("start", "end", "granularity", "field"),
    [
        (MON, MON, "day", "end"),
        (TUE, MON, "day", "end"),
        (MON, TUE, "month", "granularity"),
        (datetime(2031, 9, 1), TUE, "day", "start"),
        (MON, MON + timedelta(hours=5001), "hour", "granularity"),
    ],
)
def test_a_bad_period_is_a_validation_error_naming_the_field(start, end, granularity, field):
    with pytest.raises(ApplicationError) as raised:
        Period(start, end, granularity)
    assert raised.value.code == "validation_error" and list(raised.value.details) == [field]


def test_the_longest_period_allowed_is_fine():
    assert Period(MON, MON + timedelta(hours=5000), "hour").granularity == "hour"


def test_a_query_past_its_time_is_a_503_query_timeout_and_the_limits_stay_local(settings):
    import threading

    from django.db import connection, transaction

    settings.ANALYTICS = {**settings.ANALYTICS, "QUERY_TIMEOUT_SECONDS": 0.2, "QUERY_WORK_MEM_MB": 64}
    locked, release = threading.Event(), threading.Event()

    def hold_the_table():  # a migration, a partition being made: the query waits for it
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("LOCK TABLE analytics_event IN ACCESS EXCLUSIVE MODE")
                locked.set()
                release.wait(10)
        finally:
            connection.close()

    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('statement_timeout'), current_setting('work_mem')")
        before = cursor.fetchone()
    holder = threading.Thread(target=hold_the_table)
    holder.start()
    try:
        assert locked.wait(10)
        with pytest.raises(ApplicationError) as raised:
            metrics.signups(period=DAYS)
    finally:
        release.set()
        holder.join(10)

    assert (raised.value.code, raised.value.status_code) == ("query_timeout", 503)
    assert "0.2 s" in raised.value.message
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('statement_timeout'), current_setting('work_mem')")
        assert cursor.fetchone() == before
    assert _rows(metrics.signups(period=DAYS), "signups") == [(MON, 0), (TUE, 0), (WED, 0)]
