"""Request ids flow in, out, into log lines; metrics are exposed."""

import json
import logging

import pytest

from servicekit.observability.context import get_request_id, request_id_scope
from servicekit.observability.logging import JsonFormatter, RequestIdFilter

pytestmark = pytest.mark.django_db


def test_request_id_from_the_gateway_is_echoed(client):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="gw-abc-123")
    assert response["X-Request-ID"] == "gw-abc-123"


def test_access_log_line_carries_the_request_id(client, caplog):
    with caplog.at_level(logging.INFO, logger="servicekit.access"):
        client.get("/api/v1/test/items/", HTTP_X_REQUEST_ID="trace-me")
    records = [r for r in caplog.records if r.name == "servicekit.access"]
    assert len(records) == 1
    record = records[0]
    RequestIdFilter().filter(record)
    line = json.loads(JsonFormatter(service="testsvc").format(record))
    assert line["request_id"] == "trace-me"
    assert line["status"] == 200 and line["method"] == "GET" and line["service"] == "testsvc"
    assert line["route"] == "/api/v1/test/items/"


def test_request_id_scope_sets_and_restores():
    assert get_request_id() is None
    with request_id_scope("task-1") as rid:
        assert rid == get_request_id() == "task-1"
    assert get_request_id() is None


def test_json_formatter_includes_extra_fields_and_exceptions():
    logger = logging.getLogger("t")
    try:
        raise ValueError("nope")
    except ValueError:
        record = logger.makeRecord(
            "t", logging.ERROR, __file__, 1, "failed %s", ("x",), None, extra={"order_id": 7}
        )
        import sys

        record.exc_info = sys.exc_info()
    line = json.loads(JsonFormatter(service="s").format(record))
    assert line["message"] == "failed x" and line["order_id"] == 7 and "ValueError" in line["exc_info"]


def test_metrics_count_requests_by_route_not_raw_path(client):
    client.get("/api/v1/test/items/?page=1")
    body = client.get("/metrics").content.decode()
    assert 'http_requests_total{method="GET",route="/api/v1/test/items/",status="200"}' in body


@pytest.mark.parametrize(
    ("forwarded_for", "hops", "expected"),
    [
        ("", 1, "10.0.0.9"),  # no proxy header: the socket peer
        ("198.51.100.7", 1, "198.51.100.7"),  # the gateway's entry
        ("6.6.6.6, 198.51.100.7", 1, "198.51.100.7"),  # a client-forged entry on the left is ignored
        ("198.51.100.7, 10.1.1.1", 2, "198.51.100.7"),  # load balancer + gateway
        ("not-an-ip", 1, None),
    ],
)
def test_client_ip_trusts_only_the_proxies_hops(settings, forwarded_for, hops, expected):
    from servicekit.observability.middleware import client_ip_from

    settings.SERVICEKIT = {**settings.SERVICEKIT, "TRUSTED_PROXY_HOPS": hops}
    assert client_ip_from(forwarded_for=forwarded_for, remote_addr="10.0.0.9") == expected
