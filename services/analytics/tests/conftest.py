from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from analytics.partitions import TABLES


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


@pytest.fixture(autouse=True)
def forget_known_partitions():
    """Partitions made in a test roll back with it: no process-wide memory of them may leak."""
    for table in TABLES:
        table.known_days.clear()
    yield
    for table in TABLES:
        table.known_days.clear()


@pytest.fixture
def committed_partitions(transactional_db):
    """Partitions committed by a test that really commits (threads): dropped afterwards."""
    from datetime import date

    from analytics.partitions import drop_before

    yield
    for table in TABLES:
        drop_before(table, cutoff=date.max)


@pytest.fixture
def ingest(db) -> Callable[[Iterable[Any]], list[Any]]:
    """Hand events to the registry as the consumer does: batches, one transaction each, inbox."""
    from servicekit.events.inbox import handle_events
    from servicekit.events.registry import load_registry

    registry = load_registry()

    def _ingest(events: Iterable[Any], batch: int = 300) -> list[Any]:
        events = list(events)
        outcomes = []
        for first in range(0, len(events), batch):
            outcomes += handle_events(events[first : first + batch], registry)
        assert all(outcome.ok for outcome in outcomes), [o.error for o in outcomes if not o.ok]
        return outcomes

    return _ingest


class RequestLogStream:
    """A Redis stream of this test's own, in the format servicekit's shipper writes."""

    def __init__(self, client: Any, name: str) -> None:
        self.client = client
        self.name = name

    def ship(self, *records: dict[str, Any]) -> str:
        from servicekit.observability.requestlog import encode_entry

        return self.client.xadd(self.name, encode_entry(list(records))).decode()

    def ingest(self, max_entries: int = 20) -> Any:
        from analytics.requestlogs.services import request_logs_ingest

        return request_logs_ingest(client=self.client, stream=self.name, max_entries=max_entries)

    def length(self) -> int:
        return self.client.xlen(self.name)


@pytest.fixture
def request_log_stream(settings, db):
    import uuid

    import redis

    from servicekit.observability import requestlog

    name = f"test:analytics:request-logs:{uuid.uuid4().hex[:8]}"
    settings.SERVICEKIT_REQUEST_LOG = {"enabled": True, "stream": name, "flush_seconds": 30.0}
    requestlog.reset()
    client = redis.Redis.from_url(requestlog.request_log_conf().redis_url)
    yield RequestLogStream(client, name)
    requestlog.reset()
    client.delete(name)


def request(
    *,
    at: datetime,
    user: Any = None,
    service: str = "orders",
    route: str = "/api/v1/orders/",
    method: str = "GET",
    status: int = 200,
    duration_ms: float = 10.0,
    error_code: str | None = None,
    request_id: str = "req-1",
    client_ip: str | None = "203.0.113.7",
) -> dict[str, Any]:
    """A record as servicekit's request log ships it."""
    return {
        "at": at.timestamp(),
        "service": service,
        "method": method,
        "route": route,
        "status": status,
        "error_code": error_code,
        "duration_ms": duration_ms,
        "user_id": str(user) if user else None,
        "client_ip": client_ip,
        "request_id": request_id,
    }


LOGS_AT = utc(2031, 11, 5, 12)
ALICE, BOB = uuid.UUID(int=1), uuid.UUID(int=2)


@pytest.fixture
def logs(request_log_stream):
    """Four requests: ALICE's GET and POST to orders, BOB's 503 there, an anonymous 404 in catalog."""
    request_log_stream.ship(
        request(at=LOGS_AT, user=ALICE, request_id="a1"),
        request(at=LOGS_AT + timedelta(minutes=1), user=ALICE, method="POST", status=201, request_id="a2"),
        request(at=LOGS_AT + timedelta(minutes=2), user=BOB, status=503, request_id="b1"),
        request(
            at=LOGS_AT + timedelta(minutes=3),
            service="catalog",
            route="/api/v1/catalog/products/",
            status=404,
            error_code="not_found",
            request_id="c1",
        ),
    )
    request_log_stream.ingest()
