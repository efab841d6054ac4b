"""Request logs filtered by user, service, route, method, status and time; newest first."""

import uuid
from datetime import timedelta

import pytest

from analytics.requestlogs.selectors import request_logs_list
from tests.conftest import request, utc

pytestmark = pytest.mark.django_db
AT = utc(2031, 11, 5, 12)
ALICE, BOB = uuid.UUID(int=1), uuid.UUID(int=2)


@pytest.fixture
def logs(request_log_stream):
    request_log_stream.ship(
        request(at=AT, user=ALICE, request_id="a1"),
        request(at=AT + timedelta(minutes=1), user=ALICE, method="POST", status=201, request_id="a2"),
        request(at=AT + timedelta(minutes=2), user=BOB, status=503, request_id="b1"),
        request(
            at=AT + timedelta(minutes=3),
            service="catalog",
            route="/api/v1/catalog/products/",
            status=404,
            request_id="c1",
        ),
    )
    request_log_stream.ingest()


def _ids(**filters):
    return [log.request_id for log in request_logs_list(**filters)]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, ["c1", "b1", "a2", "a1"]),
        ({"user_id": ALICE}, ["a2", "a1"]),
        ({"user_id": str(BOB)}, ["b1"]),
        ({"service": "catalog"}, ["c1"]),
        ({"route": "/api/v1/orders/"}, ["b1", "a2", "a1"]),
        ({"method": "post"}, ["a2"]),
        ({"status": 503}, ["b1"]),
        ({"status_class": 4}, ["c1"]),
        ({"status_class": 2, "user_id": ALICE}, ["a2", "a1"]),
        ({"since": AT + timedelta(minutes=1), "until": AT + timedelta(minutes=3)}, ["b1", "a2"]),
        ({"service": "identity"}, []),
    ],
)
def test_filters(logs, filters, expected):
    assert _ids(**filters) == expected
