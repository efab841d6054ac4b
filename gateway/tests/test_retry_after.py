"""One Retry-After per 429: the gateway adds its own only to the 429s it makes itself.

A small HTTP server stands in for identity and refuses everything with the 429 a locked
account gets (``Retry-After: 900``). Before the fix the gateway added ``Retry-After: 1`` to
every 429, and clients read the two headers as one list, ``"900, 1"``.
"""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator

import pytest
from conftest import SERVICES, Stack, free_port, start_gateway, stop_all

SERVICE_RETRY_AFTER = "900"


class LockedOutHandler(http.server.BaseHTTPRequestHandler):
    def _refuse(self) -> None:
        body = json.dumps(
            {"error": {"code": "account_locked", "message": "Locked.", "details": {}}, "meta": {}}
        ).encode()
        self.send_response(429)
        self.send_header("Content-Type", "application/json")
        self.send_header("Retry-After", SERVICE_RETRY_AFTER)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _refuse

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def locked_out(tmp_path_factory) -> Iterator[Stack]:
    tmp = tmp_path_factory.mktemp("retry-after-gateway")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), LockedOutHandler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    upstreams = {name: f"127.0.0.1:{free_port()}" for name in SERVICES}
    upstreams["identity"] = f"127.0.0.1:{server.server_address[1]}"
    stack = Stack(
        port=free_port(), access_log=tmp / "gateway.log", service_logs={}, upstreams=upstreams, media_roots={}
    )
    settings = {"GATEWAY_RATE_AUTH": "1r/m", "GATEWAY_BURST_AUTH": "2", "GATEWAY_WORKER_PROCESSES": "1"}
    try:
        start_gateway(stack, tmp / "prefix", settings)
        yield stack
    finally:
        stop_all(stack.processes)
        server.shutdown()
        server.server_close()


def login(stack: Stack):
    return stack.request("POST", "/api/v1/auth/login/", {"Content-Type": "application/json"}, b"{}")


def test_a_service_429_keeps_its_own_retry_after_alone(locked_out):
    response = locked_out.get("/api/v1/auth/me/")
    assert response.status == 429
    assert response.json()["error"]["code"] == "account_locked"
    assert response.headers.get_all("Retry-After") == [SERVICE_RETRY_AFTER]


def test_the_gateway_s_own_429_has_its_one_retry_after(locked_out):
    responses = [login(locked_out) for _ in range(6)]
    from_service = [r for r in responses if r.json()["error"]["code"] == "account_locked"]
    from_gateway = [r for r in responses if r.json()["error"]["code"] == "rate_limited"]
    assert from_service and from_gateway, [r.json()["error"]["code"] for r in responses]
    for response in from_service:
        assert response.headers.get_all("Retry-After") == [SERVICE_RETRY_AFTER]
    for response in from_gateway:
        assert response.status == 429
        assert response.headers.get_all("Retry-After") == ["1"]
