"""Request logs: recorded per request without I/O, shipped in batches to a real Redis stream."""

import time
import uuid

import pytest
import redis

from servicekit.observability import requestlog

pytestmark = pytest.mark.django_db


@pytest.fixture
def stream(settings):
    """Request logging on, into a stream of this test's own; the shipper is started afresh."""
    name = f"test:request-logs:{uuid.uuid4().hex[:8]}"
    settings.SERVICEKIT_REQUEST_LOG = {"enabled": True, "stream": name, "flush_seconds": 30.0}
    requestlog.reset()
    client = redis.Redis.from_url(requestlog.request_log_conf().redis_url)
    yield Stream(client, name)
    requestlog.reset()
    client.delete(name)


class Stream:
    def __init__(self, client, name):
        self.client = client
        self.name = name

    def records(self):
        return [
            record
            for _, fields in self.client.xrange(self.name)
            for record in requestlog.decode_entry(fields)
        ]

    def entries(self):
        return self.client.xlen(self.name)


def _flushed():
    return requestlog.shipper().flush()


def test_each_request_is_one_record_with_its_route_pattern_status_and_request_id(client, stream):
    started = time.time()
    response = client.get("/api/v1/test/owned/someone/", HTTP_X_REQUEST_ID="req-1")

    assert response.status_code == 401 and stream.entries() == 0  # nothing shipped on the request path
    assert _flushed() == 1
    [record] = stream.records()
    assert record == {
        "at": record["at"],
        "service": "testsvc",
        "method": "GET",
        "route": "/api/v1/test/owned/<str:owner>/",
        "status": 401,
        "error_code": "not_authenticated",
        "duration_ms": record["duration_ms"],
        "user_id": None,
        "client_ip": "127.0.0.1",
        "request_id": "req-1",
    }
    assert started - 1 <= record["at"] <= time.time() and 0 < record["duration_ms"] < 10000


def test_the_principal_drf_authenticated_is_the_user(client_for, stream):
    customer = client_for()
    assert customer.get("/api/v1/test/whoami/").status_code == 200
    assert customer.get("/api/v1/test/staff-only/").status_code == 403
    assert customer.post("/api/v1/test/conflict/").status_code == 409  # a view that authenticates nobody
    _flushed()

    records = stream.records()
    assert [(r["user_id"], r["status"], r["error_code"]) for r in records] == [
        (customer.user_id, 200, None),
        (customer.user_id, 403, "permission_denied"),
        (None, 409, "conflict"),
    ]


def test_error_codes_of_plain_django_error_responses_are_read_from_the_body(client, stream):
    client.get("/no/such/path/")
    client.post("/api/v1/test/echo/", {"name": "x"}, content_type="application/json")
    _flushed()

    assert [(r["route"], r["status"], r["error_code"]) for r in stream.records()] == [
        ("unmatched", 404, "not_found"),
        ("/api/v1/test/echo/", 400, "validation_error"),
    ]


def test_health_and_metrics_requests_are_not_logged(client, stream):
    client.get("/healthz")
    client.get("/metrics")
    assert _flushed() == 0 and stream.entries() == 0


def test_off_in_tests_unless_enabled(client, settings):
    settings.SERVICEKIT_REQUEST_LOG = {}
    requestlog.reset()
    client.get("/api/v1/test/items/")
    assert requestlog.shipper() is None


def test_a_full_batch_is_shipped_by_the_thread_without_waiting_for_the_interval(client, stream, settings):
    settings.SERVICEKIT_REQUEST_LOG = {**settings.SERVICEKIT_REQUEST_LOG, "batch_size": 3}
    requestlog.reset()
    for _ in range(3):
        client.get("/api/v1/test/items/")

    deadline = time.monotonic() + 10
    while stream.entries() == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert [r["route"] for r in stream.records()] == ["/api/v1/test/items/"] * 3  # one entry of three


def test_with_redis_away_the_buffer_is_bounded_and_kept_in_order_for_later(client, stream, settings):
    settings.SERVICEKIT_REQUEST_LOG = {
        **settings.SERVICEKIT_REQUEST_LOG,
        "redis_url": "redis://127.0.0.1:1/0",  # nothing listens there
        "buffer_size": 3,
    }
    requestlog.reset()
    dropped_before = requestlog.DROPPED._value.get()
    for n in range(5):
        client.get("/api/v1/test/items/", HTTP_X_REQUEST_ID=f"r-{n}")
    shipper = requestlog.shipper()

    with pytest.raises(redis.ConnectionError):
        shipper.flush()
    assert requestlog.DROPPED._value.get() - dropped_before == 2

    shipper._client = stream.client  # Redis is back
    assert shipper.flush() == 3
    assert [r["request_id"] for r in stream.records()] == ["r-0", "r-1", "r-2"]


def test_djangos_lazy_session_user_is_never_evaluated(rf):
    from django.contrib.auth.models import AnonymousUser
    from django.utils.functional import SimpleLazyObject

    evaluated = []
    request = rf.get("/")
    request.user = SimpleLazyObject(lambda: evaluated.append(True) or AnonymousUser())

    assert requestlog.principal_id_of(request) is None and evaluated == []
