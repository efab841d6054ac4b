#!/usr/bin/env python3
"""Benchmark of the analytics data core (prints figures; asserts nothing).

0. Request logging's cost per request, in-process: CPU time of ``record_request`` (the
   middleware's call) over 100,000 requests, the shipping thread's work and the final flush
   to Redis included, less the same loop with logging off; then the ingester moving those
   100,000 records from the stream into Postgres.
1. Ingestion of 100,000 events (a mix of orders, payments, messages, sign-ups, builds):
   a. in-process through the consumer's handler path: batches of EVENTS_PREFETCH handed to
      ``handle_events`` (inbox rows, the event store insert, the usage counts, one transaction
      per batch): what the database costs;
   b. end to end: the same number published to RabbitMQ (a throwaway exchange) and consumed by
      a real ``manage.py consume_events`` process of the analytics service.
2. Metrics over a large generated event table (``--rows``, 10,000,000 by default, spread over
   30 days, bulk-loaded by SQL into the real partitioned table with its indexes) and request-log
   table (``--request-logs``): load time, table size, then each metric query, warm (the median
   of three runs after one untimed).

Uses a throwaway database (``bench_analytics_<run>``) and removes it at the end (``--keep`` keeps it).
``python bench/analytics.py [--events 100000] [--rows 10000000] [--request-logs 2000000]``
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SERVICE = ROOT / "services" / "analytics"
RUN = uuid.uuid4().hex[:6]
DATABASE = f"bench_analytics_{RUN}"  # two runs side by side do not meet
ADMIN_URL = os.environ.get("POSTGRES_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres")
os.environ.update(
    {
        "DJANGO_SETTINGS_MODULE": "analytics.settings",
        "DJANGO_ENV": "development",
        "DATABASE_URL": ADMIN_URL.rsplit("/", 1)[0] + f"/{DATABASE}",
        "DB_SCHEMA": "analytics",
        "EVENTS_EXCHANGE": f"bench-{RUN}.events",
        "EVENTS_QUEUE": f"bench-{RUN}.analytics.events",
        "REQUEST_LOG_ENABLED": "false",
        "LOG_FORMAT": "console",
        "LOG_LEVEL": "WARNING",
    }
)
sys.path.insert(0, str(SERVICE))
START = datetime(2031, 1, 1, tzinfo=UTC)
REQUEST_LOG_STREAM = f"bench:{RUN}:request-logs"
# CPU per request of a read endpoint (catalog's product list), docs/benchmarks.md runs 1-6.
READ_ENDPOINT_CPU_MS = (4.4, 9.6)


def fresh_database() -> None:
    import psycopg

    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DATABASE}"')
    with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as conn:
        conn.execute("CREATE SCHEMA analytics")


def drop_database() -> None:
    import psycopg

    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


# --- 0. request logging -------------------------------------------------------------------------


def request_logging_cost(count: int) -> tuple[float, float]:
    """CPU seconds per request with logging on and off (the loop alone)."""
    from django.conf import settings
    from django.http import HttpResponse
    from django.test import RequestFactory

    from servicekit.auth.principal import Principal
    from servicekit.observability import requestlog

    request = RequestFactory().get("/api/v1/orders/0b4e.../", HTTP_X_FORWARDED_FOR="203.0.113.9")
    request.user = Principal(id=str(uuid.uuid4()), roles=frozenset({"customer"}))
    response = HttpResponse(b"{}", status=200, content_type="application/json")
    route = "/api/v1/orders/<uuid:pk>/"

    def loop() -> float:
        requestlog.reset()
        started = time.process_time()  # every thread of the process: the shipper's work counts
        for _ in range(count):
            requestlog.record_request(request, response, route=route, duration=0.004, client_ip="203.0.113.9")
        shipper = requestlog.shipper()
        if shipper is not None:
            shipper.flush()
        return (time.process_time() - started) / count

    settings.SERVICEKIT_REQUEST_LOG = {"enabled": False}
    off = loop()
    settings.SERVICEKIT_REQUEST_LOG = {"enabled": True, "stream": REQUEST_LOG_STREAM, "buffer_size": count}
    on = loop()
    settings.SERVICEKIT_REQUEST_LOG = {"enabled": False}
    requestlog.reset()
    return on, off


def ingest_request_logs() -> tuple[int, float]:
    import redis

    from analytics.requestlogs.services import request_logs_ingest
    from servicekit.observability.requestlog import request_log_conf

    client = redis.Redis.from_url(request_log_conf().redis_url)
    stored, started = 0, time.perf_counter()
    try:
        while (
            result := request_logs_ingest(client=client, stream=REQUEST_LOG_STREAM, max_entries=20)
        ).entries:
            stored += result.stored
        return stored, time.perf_counter() - started
    finally:
        client.delete(REQUEST_LOG_STREAM)


# --- 1. ingestion -------------------------------------------------------------------------------


def sample_events(count: int, days: int, seed: int) -> list:
    """A platform's day-to-day mix: per order a placement, most paid, some rejected; messages
    sent and delivered; sign-ups; builds."""
    from servicekit.events import Event
    from servicekit.events.envelope import format_timestamp

    rng = random.Random(seed)
    users = [str(uuid.uuid4()) for _ in range(2000)]
    made: list = []

    def add(type_: str, subject: str, data: dict, at: datetime) -> None:
        made.append(
            Event(
                id=str(uuid.uuid4()),
                type=type_,
                version=1,
                occurred_at=format_timestamp(at),
                producer=type_.split(".")[0],
                subject=subject,
                correlation_id=uuid.uuid4().hex,
                causation_id=None,
                data=data,
            )
        )

    while len(made) < count:
        at = START + timedelta(seconds=rng.uniform(0, days * 86400))
        user = rng.choice(users)
        kind = rng.random()
        if kind < 0.45:
            order = str(uuid.uuid4())
            total = f"{rng.randint(100, 50000) / 100:.2f}"
            line = {"product_id": str(uuid.uuid4()), "quantity": 1, "unit_price": total, "currency": "USD"}
            add(
                "orders.order.placed",
                order,
                {"order_id": order, "user_id": user, "lines": [line], "total": total, "currency": "USD"},
                at,
            )
            if rng.random() < 0.7:
                add(
                    "orders.order.paid",
                    order,
                    {"order_id": order, "user_id": user, "amount": total, "currency": "USD", "lines": [line]},
                    at + timedelta(minutes=5),
                )
        elif kind < 0.8:
            message = str(uuid.uuid4())
            kind = "image" if rng.random() < 0.2 else "text"
            add("messaging.message.sent", message, {"user_id": user, "kind": kind}, at)
            add("messaging.message.delivered", message, {"message_id": message}, at + timedelta(seconds=3))
        elif kind < 0.9:
            add("identity.user.registered", user, {"user_id": user, "email": "x@example.com"}, at)
        else:
            add("builds.build.published", str(uuid.uuid4()), {"creator": {"user_id": user}}, at)
    return made[:count]


def ingest_in_process(events: list, batch: int) -> float:
    from servicekit.events.inbox import handle_events
    from servicekit.events.registry import load_registry

    registry = load_registry()
    started = time.perf_counter()
    for first in range(0, len(events), batch):
        outcomes = handle_events(events[first : first + batch], registry)
        failed = [outcome.error for outcome in outcomes if not outcome.ok]
        if failed:
            raise SystemExit(f"ingestion failed: {failed[0]}")
    return time.perf_counter() - started


def stored_events() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM analytics_event")
        return cursor.fetchone()[0]


def ingest_through_the_broker(events: list, log_dir: Path) -> tuple[float, float, float]:
    """Seconds to publish, then from the consumer's start and from its first stored event to
    the last one stored."""
    import pika

    from servicekit.events.conf import events_conf
    from servicekit.events.registry import load_registry
    from servicekit.events.topology import declare_service_queues, delete_topology

    conf = events_conf()
    connection = pika.BlockingConnection(pika.URLParameters(conf.broker_url))
    channel = connection.channel()
    declare_service_queues(channel, conf, load_registry().types)
    properties = pika.BasicProperties(content_type="application/json", delivery_mode=2)
    started = time.perf_counter()
    for event in events:
        channel.basic_publish(conf.exchange, event.type, event.to_json().encode(), properties)
    while channel.queue_declare(conf.queue, passive=True).method.message_count < len(events):
        connection.sleep(0.05)
    publish_seconds = time.perf_counter() - started

    before = stored_events()
    target = before + len(events)
    log = log_dir / "consumer.log"
    consumer = subprocess.Popen(
        [sys.executable, "manage.py", "consume_events"],
        cwd=SERVICE,
        env=os.environ.copy(),
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    try:
        launched = time.perf_counter()
        first_seen = None
        deadline = time.monotonic() + 1800
        while (count := stored_events()) < target:
            if first_seen is None and count > before:
                first_seen = time.perf_counter()
            if consumer.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"consumer stopped at {count - before} events:\n{log.read_text()[-2000:]}")
            time.sleep(0.05)
        finished = time.perf_counter()
    finally:
        consumer.terminate()
        consumer.wait(timeout=30)
        delete_topology(channel, conf)
        connection.close()
    return publish_seconds, finished - launched, finished - (first_seen or launched)


# --- 2. metrics over a large table ----------------------------------------------------------------

# 20 rows per "moment": 6 orders placed (4 paid, 1 rejected), 4 messages sent (2 delivered, 1
# read), a sign-up, a build published or failed, and 2 other events nobody measures.
GENERATE_EVENTS = """
INSERT INTO analytics_event (event_id, occurred_at, type, version, subject, producer, correlation_id,
                             causation_id, payload)
SELECT gen_random_uuid(), %(start)s + (n::float8 / %(rows)s) * %(span)s, kind.type, 1,
       kind.subject_prefix || (n / 20) || '-' || kind.subject_no, split_part(kind.type, '.', 1), '', '',
       jsonb_build_object('user_id', ('00000000-0000-4000-8000-' || lpad((n %% 50000)::text, 12, '0')),
                          'amount', '12.50', 'currency', 'USD')
FROM generate_series(%(first)s, %(last)s) AS n
JOIN (VALUES (0, 'orders.order.placed', 'o', 0), (1, 'orders.order.placed', 'o', 1),
             (2, 'orders.order.placed', 'o', 2), (3, 'orders.order.placed', 'o', 3),
             (4, 'orders.order.placed', 'o', 4), (5, 'orders.order.placed', 'o', 5),
             (6, 'orders.order.paid', 'o', 0), (7, 'orders.order.paid', 'o', 1),
             (8, 'orders.order.paid', 'o', 2), (9, 'orders.order.paid', 'o', 3),
             (10, 'orders.order.rejected', 'o', 5),
             (11, 'messaging.message.sent', 'm', 0), (12, 'messaging.message.sent', 'm', 1),
             (13, 'messaging.message.sent', 'm', 2), (14, 'messaging.message.sent', 'm', 3),
             (15, 'messaging.message.delivered', 'm', 0), (16, 'messaging.message.delivered', 'm', 1),
             (17, 'messaging.message.read', 'm', 2),
             (18, 'identity.user.registered', 'u', 0),
             (19, 'builds.build.published', 'b', 0)) AS kind (slot, type, subject_prefix, subject_no)
  ON kind.slot = n %% 20
"""

GENERATE_REQUEST_LOGS = """
INSERT INTO analytics_request_log (occurred_at, service, method, route, status, error_code, duration_ms,
                                   user_id, client_ip, request_id)
SELECT %(start)s + (n::float8 / %(rows)s) * %(span)s,
       (ARRAY['orders', 'catalog', 'identity', 'messaging'])[1 + n %% 4],
       CASE WHEN n %% 7 = 0 THEN 'POST' ELSE 'GET' END,
       (ARRAY['/api/v1/orders/', '/api/v1/catalog/products/', '/api/v1/auth/me/',
              '/api/v1/messaging/messages/'])[1 + n %% 4],
       CASE WHEN n %% 97 = 0 THEN 500 WHEN n %% 13 = 0 THEN 404 ELSE 200 END, '',
       5 + (n %% 1000) * 0.25, NULL, '10.0.0.1', md5(n::text)
FROM generate_series(%(first)s, %(last)s) AS n
"""


def load(sql: str, rows: int, days: int, chunk: int, label: str) -> float:
    from django.db import connection

    started = time.perf_counter()
    for first in range(0, rows, chunk):
        last = min(first + chunk, rows) - 1
        with connection.cursor() as cursor:
            cursor.execute(
                sql,
                {"start": START, "span": timedelta(days=days), "rows": rows, "first": first, "last": last},
            )
        print(f"   {label}: {last + 1:,} rows, {time.perf_counter() - started:.0f} s", flush=True)
    return time.perf_counter() - started


def table_size(table: str) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_size_pretty(sum(pg_total_relation_size(inhrelid))) FROM pg_inherits "
            "WHERE inhparent = to_regclass(%s)",
            [table],
        )
        return cursor.fetchone()[0]


def timed(query) -> tuple[float, int]:
    query()  # untimed: plans and caches warm
    seconds = []
    for _ in range(3):
        started = time.perf_counter()
        rows = query()
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds), len(rows)


def metric_queries(days: int) -> list[tuple[str, object]]:
    from analytics.metrics import selectors as metrics
    from analytics.metrics.period import Period

    month = Period(START, START + timedelta(days=days), "day")
    week_by_hour = Period(START + timedelta(days=7), START + timedelta(days=14), "hour")
    day = Period(START + timedelta(days=3), START + timedelta(days=4), "hour")
    return [
        ("orders placed per day, 30 days", lambda: metrics.orders_placed(period=month)),
        ("sign-ups per hour, 7 days", lambda: metrics.signups(period=week_by_hour)),
        ("revenue per day and currency, 30 days", lambda: metrics.revenue(period=month)),
        ("checkout conversion per day, 30 days", lambda: metrics.checkout_conversion(period=month)),
        ("checkout conversion per hour, 1 day", lambda: metrics.checkout_conversion(period=day)),
        ("message delivery rate per day, 30 days", lambda: metrics.message_delivery_rate(period=month)),
        (
            "build success rate per week, 30 days",
            lambda: metrics.build_success_rate(period=Period(START, START + timedelta(days=days), "week")),
        ),
        ("p50/p95 + errors per route, 1 day", lambda: metrics.request_stats(period=day, per_bucket=False)),
        ("p50/p95 + errors per route per day, 30 days", lambda: metrics.request_stats(period=month)),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--request-logs", type=int, default=2_000_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--no-broker", action="store_true", help="skip the end-to-end ingestion")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()

    fresh_database()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from analytics.partitions import EVENTS, REQUEST_LOGS, create_ahead
    from servicekit.events.conf import events_conf

    call_command("migrate", verbosity=0)
    print(f"analytics bench (load average {load_average()}, {os.cpu_count()} CPUs)")
    try:
        for table in (EVENTS, REQUEST_LOGS):  # as the beat task would have
            create_ahead(table, today=START.date(), days_ahead=args.days)

        on, off = request_logging_cost(100_000)
        cost = on - off
        print(
            f"0. request logging: {cost * 1e6:.1f} µs of CPU per request (loop alone {off * 1e6:.1f} µs), "
            f"{cost * 1e3 / READ_ENDPOINT_CPU_MS[1]:.2%}-{cost * 1e3 / READ_ENDPOINT_CPU_MS[0]:.2%} of a read "
            f"endpoint's {READ_ENDPOINT_CPU_MS[0]}-{READ_ENDPOINT_CPU_MS[1]} ms"
        )
        stored, seconds = ingest_request_logs()
        print(
            f"   ingester: {stored:,} request logs into Postgres in {seconds:.1f} s = {stored / seconds:,.0f}/s"
        )

        batch = events_conf().prefetch  # what the consumer hands over at once
        events = sample_events(args.events, days=10, seed=1)
        seconds = ingest_in_process(events, batch)
        print(
            f"1a. ingest {len(events):,} events in-process (handler path, batches of {batch}): "
            f"{seconds:.1f} s = {len(events) / seconds:,.0f} events/s"
        )
        if not args.no_broker:
            import tempfile

            with tempfile.TemporaryDirectory() as log_dir:
                more = sample_events(args.events, days=10, seed=2)
                publish, total, steady = ingest_through_the_broker(more, Path(log_dir))
            print(
                f"1b. ingest {len(more):,} events through RabbitMQ and consume_events: {total:.1f} s from the "
                f"consumer's start = {len(more) / total:,.0f} events/s ({len(more) / steady:,.0f}/s from its "
                f"first stored event; publishing took {publish:.1f} s)"
            )

        with connection.cursor() as cursor:
            cursor.execute(
                "TRUNCATE analytics_event, event_inbox, analytics_usage_activity, analytics_usage_revenue"
            )
        print(f"2. load {args.rows:,} events and {args.request_logs:,} request logs over {args.days} days:")
        seconds = load(GENERATE_EVENTS, args.rows, args.days, 1_000_000, "events")
        print(
            f"   events: {seconds:.0f} s = {args.rows / seconds:,.0f} rows/s (bulk SQL), {table_size(EVENTS.name)}"
        )
        seconds = load(GENERATE_REQUEST_LOGS, args.request_logs, args.days, 1_000_000, "request logs")
        print(f"   request logs: {seconds:.0f} s, {table_size(REQUEST_LOGS.name)}")
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE analytics_event")
            cursor.execute("VACUUM ANALYZE analytics_request_log")
        print(f"   vacuum analyze (autovacuum's job): {time.perf_counter() - started:.0f} s")
        print(f"   metric queries, warm, median of 3 (load average {load_average()}):")
        for name, query in metric_queries(args.days):
            seconds, rows = timed(query)
            print(f"   {name:<48} {seconds * 1000:8.0f} ms  ({rows} rows)")
    finally:
        connection.close()
        if not args.keep:
            drop_database()


if __name__ == "__main__":
    main()
