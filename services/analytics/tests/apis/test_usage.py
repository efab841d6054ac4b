"""/api/v1/analytics/usage-stats/ (staff: everyone's) and /api/v1/analytics/me/usage/ (one's own)."""

import csv
import io
import uuid
from datetime import timedelta

import pytest

from tests import events
from tests.conftest import request, utc

pytestmark = pytest.mark.django_db
USAGE_STATS = "/api/v1/analytics/usage-stats/"
MY_USAGE = "/api/v1/analytics/me/usage/"
DAY1, DAY2 = utc(2031, 8, 1, 10), utc(2031, 8, 2, 10)
ALICE, BOB = uuid.UUID(int=11), uuid.UUID(int=12)


@pytest.fixture
def usage(ingest, request_log_stream):
    order1, order2, order3 = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    ingest(
        [
            events.placed(ALICE, order1, at=DAY1),
            events.paid(ALICE, order1, at=DAY1, amount="12.50"),
            events.placed(ALICE, order2, at=DAY2, currency="EUR"),
            events.paid(ALICE, order2, at=DAY2, amount="3.00", currency="EUR"),
            events.placed(BOB, order3, at=DAY2),
            events.message_sent(BOB, uuid.uuid4(), at=DAY2),
        ]
    )
    request_log_stream.ship(
        request(at=DAY1, user=ALICE), request(at=DAY1, user=ALICE), request(at=DAY2, user=BOB)
    )
    request_log_stream.ingest()


def _days(response):
    assert response.status_code == 200, response.content
    return [
        (
            row["user_id"],
            row["day"],
            row["api_requests"],
            row["orders_placed"],
            row["messages_sent"],
            row["revenue"],
        )
        for row in response.json()["data"]
    ]


def test_staff_read_everyones_usage_by_day(staff_client, usage):
    assert _days(staff_client.get(USAGE_STATS)) == [
        (str(ALICE), "2031-08-01", 2, 1, 0, {"USD": "12.5000"}),
        (str(ALICE), "2031-08-02", 0, 1, 0, {"EUR": "3.0000"}),
        (str(BOB), "2031-08-02", 1, 1, 1, {}),
    ]


def test_staff_filter_by_user_and_days(staff_client, usage):
    assert _days(staff_client.get(USAGE_STATS, {"user_id": str(ALICE), "from": "2031-08-02"})) == [
        (str(ALICE), "2031-08-02", 0, 1, 0, {"EUR": "3.0000"}),
    ]
    assert [row[1] for row in _days(staff_client.get(USAGE_STATS, {"to": "2031-08-01"}))] == ["2031-08-01"]


def test_a_user_reads_only_their_own_usage(client_for, usage):
    alice = client_for(ALICE)

    assert _days(alice.get(MY_USAGE)) == [
        (str(ALICE), "2031-08-01", 2, 1, 0, {"USD": "12.5000"}),
        (str(ALICE), "2031-08-02", 0, 1, 0, {"EUR": "3.0000"}),
    ]
    # A user_id is no filter here: undeclared parameters are ignored, the caller stays the caller.
    assert {row[0] for row in _days(alice.get(MY_USAGE, {"user_id": str(BOB)}))} == {str(ALICE)}


def test_a_user_without_usage_reads_an_empty_page(auth_client, usage):
    response = auth_client.get(MY_USAGE)

    assert _days(response) == []
    assert response.json()["meta"]["pagination"]["count"] == 0


def test_only_staff_read_everyones_usage(client_for, api_client, usage):
    alice = client_for(ALICE)

    refused = alice.get(USAGE_STATS)
    assert refused.status_code == 403
    assert "data" not in refused.json()
    assert alice.get(f"{USAGE_STATS}export/").status_code == 403
    assert api_client.get(USAGE_STATS).status_code == 401
    assert api_client.get(MY_USAGE).status_code == 401


@pytest.mark.parametrize(
    ("query", "field"),
    [({"from": "2031-02-30"}, "from"), ({"from": "2031-08-02", "to": "2031-08-01"}, "to")],
)
def test_bad_days_are_a_400_naming_the_field(staff_client, auth_client, query, field):
    for client, url in ((staff_client, USAGE_STATS), (auth_client, MY_USAGE)):
        response = client.get(url, query)
        assert response.status_code == 400
        assert list(response.json()["error"]["details"]) == [field]


def _csv(response):
    assert response.status_code == 200
    assert response.streaming
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_usage_exports_as_csv(staff_client, client_for, usage):
    everyone = _csv(staff_client.get(f"{USAGE_STATS}export/"))
    own = _csv(client_for(BOB).get(f"{MY_USAGE}export/"))

    assert [(row["user_id"], row["day"], row["orders_placed"], row["revenue"]) for row in everyone] == [
        (str(ALICE), "2031-08-01", "1", "12.5000 USD"),
        (str(ALICE), "2031-08-02", "1", "3.0000 EUR"),
        (str(BOB), "2031-08-02", "1", ""),
    ]
    assert [(row["user_id"], row["api_requests"], row["messages_sent"]) for row in own] == [
        (str(BOB), "1", "1")
    ]


def test_usage_day_boundaries_are_utc(staff_client, ingest):
    ingest([events.placed(ALICE, uuid.uuid4(), at=DAY2.replace(hour=0) - timedelta(microseconds=1))])

    assert [row[1] for row in _days(staff_client.get(USAGE_STATS))] == ["2031-08-01"]
