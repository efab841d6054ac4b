"""Request logs filtered by user, service, route, method, status and time; newest first."""

from datetime import timedelta

import pytest

from analytics.requestlogs.selectors import request_logs_list
from tests.conftest import ALICE, BOB
from tests.conftest import LOGS_AT as AT

pytestmark = pytest.mark.django_db


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
