"""The gateway's log lines: every one JSON (nginx's error log through gateway/logfilter.py),
the access line naming the error code of an error answer; and a platform run with some
services left out (``make run SERVICES=…``), whose routes answer a 503 envelope."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator

import pytest
from conftest import ROOT, Stack, lone_gateway
from test_gateway import assert_envelope, new_id

sys.path.insert(0, str(ROOT / "gateway"))

import logfilter


def test_the_access_line_names_the_services_error_code(stack):
    request_id = new_id()
    assert stack.get("/api/v1/catalog/no-such-thing/", X_Request_ID=request_id).status == 404
    assert stack.log_line(stack.access_log, request_id)["error_code"] == "not_found"

    request_id = new_id()
    assert stack.get("/health/catalog/", X_Request_ID=request_id).status == 200
    assert stack.log_line(stack.access_log, request_id)["error_code"] == ""


def test_the_access_line_names_the_gateways_own_error_code(stack):
    request_id = new_id()
    assert stack.get("/api/v1/analytics/x", X_Request_ID=request_id).status == 502
    assert stack.log_line(stack.access_log, request_id)["error_code"] == "upstream_unavailable"

    request_id = new_id()
    assert stack.get("/no/such/route", X_Request_ID=request_id).status == 404
    assert stack.log_line(stack.access_log, request_id)["error_code"] == "not_found"


def test_every_line_the_gateway_writes_is_one_json_object_nginx_errors_included(stack):
    request_id = new_id()
    # A socket nobody created: nginx logs the failed connect() to its error log.
    assert stack.get("/api/v1/analytics/x", X_Request_ID=request_id).status == 502
    stack.log_line(stack.access_log, request_id)  # written (the error line comes first)
    # errors="replace": escape=json passes bytes over 0x7f as they came (a test sends raw 0xff).
    raw = [line for line in stack.access_log.read_text(errors="replace").splitlines() if line.strip()]
    entries = [json.loads(line) for line in raw]  # any other line fails here
    assert all(isinstance(entry, dict) and entry["service"] == "gateway" for entry in entries)
    errors = [entry for entry in entries if entry["logger"] == "nginx.error"]
    assert any("analytics.sock" in entry.get("upstream", "") for entry in errors), errors[-5:]
    assert all({"ts", "level", "message", "request_id"} <= set(entry) for entry in errors)
    assert any(entry["logger"] == "gateway" and "rendered" in entry["message"] for entry in entries)


def test_the_filter_turns_nginx_error_lines_into_fields():
    line = (
        "2026/12/07 10:51:30 [error] 1234#1234: *5 connect() to unix:/r/a.sock failed (2: No such file "
        'or directory) while connecting to upstream, client: 127.0.0.1, server: _, request: "GET /x HTTP/1.1", '
        'upstream: "http://unix:/r/a.sock:/x", host: "127.0.0.1:8080"'
    )
    entry = json.loads(logfilter.to_json(line))
    assert entry["level"] == "ERROR" and entry["logger"] == "nginx.error" and entry["pid"] == 1234
    assert entry["message"].startswith("connect() to unix:/r/a.sock failed") and entry["connection"] == 5
    assert entry["request"] == "GET /x HTTP/1.1" and entry["upstream"] == "http://unix:/r/a.sock:/x"
    assert entry["client"] == "127.0.0.1" and entry["host"] == "127.0.0.1:8080"

    startup = json.loads(logfilter.to_json('nginx: [emerg] unknown directive "nope" in /p/nginx.conf:3'))
    assert startup["level"] == "CRITICAL" and startup["message"].startswith("unknown directive")
    notice = json.loads(logfilter.to_json("2026/12/07 10:51:30 [notice] 7#7: signal process started"))
    assert notice["level"] == "INFO" and notice["message"] == "signal process started"
    already = '{"ts":"x","level":"INFO","service":"gateway","logger":"nginx.access","message":"GET / 200"}'
    assert logfilter.to_json(already) == already
    other = json.loads(logfilter.to_json("gateway: rendered /p/nginx.conf"))
    assert other["logger"] == "gateway" and other["message"] == "gateway: rendered /p/nginx.conf"


@pytest.fixture(scope="module")
def partial_gateway(tmp_path_factory) -> Iterator[Stack]:
    """A gateway of a platform running without orders and builds (GATEWAY_ABSENT_SERVICES)."""
    with lone_gateway(
        tmp_path_factory.mktemp("partial-gateway"), {"GATEWAY_ABSENT_SERVICES": "orders,builds"}
    ) as stack:
        yield stack


@pytest.mark.parametrize(
    ("path", "service"),
    [("/health/orders/", "orders"), ("/api/v1/cart/", "orders"), ("/api/v1/builds/jobs/", "builds")],
)
def test_a_service_left_out_answers_a_503_envelope(partial_gateway, path, service):
    request_id = new_id()
    response = partial_gateway.get(path, X_Request_ID=request_id)
    body = assert_envelope(response, 503, "upstream_unavailable")
    assert body["error"]["details"] == {"service": service}
    assert response.headers["X-Error-Code"] == "upstream_unavailable"
    line = partial_gateway.log_line(partial_gateway.access_log, request_id)
    assert line["status"] == 503 and line["error_code"] == "upstream_unavailable"


def test_a_running_service_is_still_proxied_beside_absent_ones(partial_gateway):
    # identity's upstream is a free port here: proxied (502), not answered as absent (503).
    assert partial_gateway.get("/health/identity/").status == 502


def test_render_refuses_an_unknown_absent_service(tmp_path):
    sys.path.insert(0, str(ROOT / "gateway"))
    import render

    with pytest.raises(render.ConfigError, match="unknown services nope"):
        render.render(tmp_path / "prefix", {"GATEWAY_ABSENT_SERVICES": "orders,nope"})
