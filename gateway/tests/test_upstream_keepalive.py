"""Upstream keep-alive: the gateway reuses its connections to a service that keeps them open.

The services' sync gunicorn workers close every connection (so nothing is reused natively),
but a keep-alive upstream, e.g. gthread workers or a service behind a sidecar, must not pay
a new connection per request: HTTP/1.1, an empty Connection header and ``keepalive`` in the
upstream block do that. A small HTTP/1.1 server stands in for the service and counts the
connections it accepts.
"""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator

import pytest
from conftest import SERVICES, Stack, free_port, start_gateway, stop_all


class CountingHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keeps the connection open between requests

    def do_GET(self) -> None:
        self.server.requests.append(
            (self.client_address, self.request_version, self.headers.get("Connection"))
        )
        body = b'{"data": {}}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:  # the test reads the counts, not a log
        pass


class CountingServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), CountingHandler)
        self.requests: list[tuple[tuple[str, int], str, str | None]] = []


@pytest.fixture(scope="module")
def counted(tmp_path_factory) -> Iterator[tuple[Stack, CountingServer]]:
    tmp = tmp_path_factory.mktemp("keepalive-gateway")
    server = CountingServer()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    upstreams = {name: f"127.0.0.1:{free_port()}" for name in SERVICES}
    upstreams["catalog"] = f"127.0.0.1:{server.server_address[1]}"
    stack = Stack(
        port=free_port(), access_log=tmp / "gateway.log", service_logs={}, upstreams=upstreams, media_roots={}
    )
    try:
        # One worker: upstream connections are cached per worker process.
        start_gateway(stack, tmp / "prefix", {"GATEWAY_WORKER_PROCESSES": "1"})
        yield stack, server
    finally:
        stop_all(stack.processes)
        server.shutdown()
        server.server_close()


def test_requests_from_separate_clients_share_one_upstream_connection(counted):
    stack, server = counted
    for _ in range(5):  # each through its own client connection (Stack.request closes it)
        assert stack.get("/api/v1/catalog/products/").status == 200

    assert len(server.requests) == 5
    connections = {address for address, _, _ in server.requests}
    assert len(connections) == 1, f"the gateway opened {len(connections)} upstream connections for 5 requests"
    assert {(version, header) for _, version, header in server.requests} == {("HTTP/1.1", None)}
