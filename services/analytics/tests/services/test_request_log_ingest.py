"""Request logs move from the Redis stream into Postgres exactly once, with the users' counts."""

import threading
import time
import uuid

import pytest

from analytics.partitions import REQUEST_LOGS, partition_days
from analytics.requestlogs.models import RequestLog, StreamCursor
from analytics.usage.models import DailyRequests
from tests.conftest import request, utc

AT = utc(2031, 8, 9, 10, 11, 12, 345678)


def _logs():
    return list(RequestLog.objects.order_by("occurred_at", "id"))


def test_shipped_records_are_stored_once_and_the_stream_trimmed_after_commit(
    request_log_stream, django_capture_on_commit_callbacks
):
    user = uuid.uuid4()
    request_log_stream.ship(request(at=AT, user=user, request_id="a"), request(at=AT, request_id="b"))
    last = request_log_stream.ship(
        request(
            at=AT, user=user, status=503, error_code="upstream_unavailable", request_id="c", method="POST"
        )
    )

    with django_capture_on_commit_callbacks(execute=True):
        result = request_log_stream.ingest()
    again = request_log_stream.ingest()

    assert (result.entries, result.stored, result.skipped, result.last_id) == (2, 3, 0, last)
    assert (again.entries, again.stored) == (0, 0)
    assert StreamCursor.objects.get(stream=request_log_stream.name).last_id == last
    assert request_log_stream.length() == 1  # the cursor's own entry; XREAD starts after it
    stored = _logs()
    assert [(r.request_id, r.method, r.status, r.error_code, r.user_id) for r in stored] == [
        ("a", "GET", 200, "", user),
        ("b", "GET", 200, "", None),
        ("c", "POST", 503, "upstream_unavailable", user),
    ]
    first = stored[0]
    assert (first.occurred_at, first.service, first.route, first.duration_ms, first.client_ip) == (
        AT,
        "orders",
        "/api/v1/orders/",
        10.0,
        "203.0.113.7",
    )
    assert list(DailyRequests.objects.values_list("user_id", "day", "api_requests")) == [(user, AT.date(), 2)]


def test_a_failure_before_commit_stores_nothing_and_the_next_run_stores_all_once(
    request_log_stream, monkeypatch
):
    from analytics.requestlogs import services

    user = uuid.uuid4()
    request_log_stream.ship(request(at=AT, user=user), request(at=AT, user=user))

    def crash(**kwargs):
        raise RuntimeError("the process died here")

    with monkeypatch.context() as patched:
        patched.setattr(services, "usage_record_requests", crash)
        with pytest.raises(RuntimeError):
            request_log_stream.ingest()
    assert not RequestLog.objects.exists() and not StreamCursor.objects.exclude(last_id="0-0").exists()

    result = request_log_stream.ingest()

    assert (result.entries, result.stored) == (1, 2)
    assert DailyRequests.objects.get().api_requests == 2


def test_at_most_max_entries_are_taken_at_a_time(request_log_stream):
    for n in range(3):
        request_log_stream.ship(request(at=AT, request_id=f"r{n}"))

    taken = [request_log_stream.ingest(max_entries=2).stored for _ in range(3)]

    assert taken == [2, 1, 0]
    assert [log.request_id for log in _logs()] == ["r0", "r1", "r2"]


def test_what_is_not_a_request_log_is_skipped_and_the_rest_stored(request_log_stream):
    request_log_stream.client.xadd(request_log_stream.name, {"v": "0", "records": "[]"})
    request_log_stream.client.xadd(request_log_stream.name, {"v": "1", "records": "not json"})
    good = request(at=AT, request_id="kept")
    request_log_stream.ship(
        good,
        {**good, "status": 99},
        {**good, "status": "200"},
        {**good, "at": float("nan")},
        {**good, "duration_ms": -1},
        {**good, "route": ""},
        {k: v for k, v in good.items() if k != "service"},
        "not a dict",
        {
            **good,
            "request_id": "tidied",
            "user_id": "not-a-uuid",
            "client_ip": "999.1.1.1",
            "route": "/x/" + "y" * 2000,
            "error_code": None,
        },
    )

    result = request_log_stream.ingest()

    assert (result.entries, result.stored, result.skipped) == (3, 2, 9)
    kept, tidied = _logs()
    assert kept.request_id == "kept"
    assert (tidied.user_id, tidied.client_ip, len(tidied.route), tidied.error_code) == (None, None, 1000, "")


def test_a_request_through_the_middleware_reaches_the_table(request_log_stream, client_for):
    from servicekit.observability import requestlog

    caller = client_for()
    response = caller.get("/api/schema/", HTTP_X_REQUEST_ID="through-the-stack")
    assert response.status_code == 200
    requestlog.shipper().flush()

    request_log_stream.ingest()

    [log] = _logs()
    assert (log.service, log.method, log.route, log.status, str(log.user_id), log.request_id) == (
        "analytics",
        "GET",
        "/api/schema/",
        200,
        caller.user_id,
        "through-the-stack",
    )


def test_two_ingester_processes_at_once_store_each_record_once(request_log_stream, committed_partitions):
    from analytics.requestlogs.ingester import run
    from servicekit.events.process import StopFlag

    stop = StopFlag()
    ingesters = [threading.Thread(target=_run_and_close, args=(run, stop)) for _ in range(2)]
    for ingester in ingesters:
        ingester.start()
    user = uuid.uuid4()
    try:
        for n in range(60):
            request_log_stream.ship(*(request(at=AT, user=user, request_id=f"{n}-{k}") for k in range(5)))
        deadline = time.monotonic() + 30
        while RequestLog.objects.count() < 300 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        for ingester in ingesters:
            ingester.join(timeout=10)

    assert not any(ingester.is_alive() for ingester in ingesters)
    assert RequestLog.objects.count() == RequestLog.objects.values("request_id").distinct().count() == 300
    assert DailyRequests.objects.get(user_id=user).api_requests == 300
    assert request_log_stream.length() <= 1
    assert partition_days(REQUEST_LOGS) == [AT.date()]


def _run_and_close(run, stop):
    from django.db import connection

    try:
        run(stop)
    finally:
        connection.close()
