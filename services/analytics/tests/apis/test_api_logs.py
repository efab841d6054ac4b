"""/api/v1/analytics/api-logs/: staff read every request, filtered and paginated, or as CSV."""

import csv
import io

import pytest
from django.http import StreamingHttpResponse

from tests.conftest import ALICE

pytestmark = pytest.mark.django_db
API_LOGS = "/api/v1/analytics/api-logs/"


def _ids(response):
    assert response.status_code == 200, response.content
    return [row["request_id"] for row in response.json()["data"]]


def test_staff_read_every_request_newest_first(staff_client, logs):
    response = staff_client.get(API_LOGS)

    assert _ids(response) == ["c1", "b1", "a2", "a1"]
    assert response.json()["meta"]["pagination"]["count"] == 4
    newest = response.json()["data"][0]
    assert newest["service"] == "catalog"
    assert newest["route"] == "/api/v1/catalog/products/"
    assert (newest["status"], newest["error_code"], newest["user_id"]) == (404, "not_found", None)
    assert newest["occurred_at"] == "2031-11-05T12:03:00Z"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"user_id": str(ALICE)}, ["a2", "a1"]),
        ({"service": "catalog"}, ["c1"]),
        ({"route": "/api/v1/orders/"}, ["b1", "a2", "a1"]),
        ({"method": "post"}, ["a2"]),
        ({"status": 503}, ["b1"]),
        ({"status_class": 4}, ["c1"]),
        ({"from": "2031-11-05T12:01:00Z", "to": "2031-11-05T12:03:00Z"}, ["b1", "a2"]),
        ({"from": "2031-11-06"}, []),
    ],
)
def test_filters(staff_client, logs, query, expected):
    assert _ids(staff_client.get(API_LOGS, query)) == expected


def test_pages(staff_client, logs):
    response = staff_client.get(API_LOGS, {"page_size": 3, "page": 2})

    assert _ids(response) == ["a1"]
    assert response.json()["meta"]["pagination"]["count"] == 4


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"from": "yesterday"}, "from"),
        ({"to": "2031-13-01"}, "to"),
        ({"from": "2031-11-06", "to": "2031-11-05"}, "to"),
        ({"user_id": "alice"}, "user_id"),
        ({"status": "600"}, "status"),
    ],
)
def test_bad_filters_are_a_400_naming_the_field(staff_client, query, field):
    response = staff_client.get(API_LOGS, query)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
    assert list(response.json()["error"]["details"]) == [field]


def test_only_staff_read_request_logs(auth_client, api_client, logs):
    refused = auth_client.get(API_LOGS)

    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "permission_denied"
    assert "data" not in refused.json()
    assert api_client.get(API_LOGS).status_code == 401
    assert auth_client.get(f"{API_LOGS}export/").status_code == 403


def test_export_streams_every_filtered_row_as_csv(staff_client, logs):
    response = staff_client.get(f"{API_LOGS}export/", {"user_id": str(ALICE)}, HTTP_ACCEPT="text/csv")

    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="api-logs.csv"'
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [(row["request_id"], row["method"], row["status"]) for row in rows] == [
        ("a2", "POST", "201"),
        ("a1", "GET", "200"),
    ]
    assert rows[0]["user_id"] == str(ALICE)
    assert rows[0]["occurred_at"] == "2031-11-05T12:01:00+00:00"


def test_an_export_with_a_bad_filter_is_a_json_400(staff_client):
    response = staff_client.get(f"{API_LOGS}export/", {"from": "soon"}, HTTP_ACCEPT="text/csv")

    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert list(response.json()["error"]["details"]) == ["from"]
