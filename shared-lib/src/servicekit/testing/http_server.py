"""A real HTTP server for tests (stdlib, 127.0.0.1, free port, daemon thread).

Stands in for another service (identity's JWKS, API-key introspection) over a real socket,
so the code under test exercises its real HTTP client, timeouts and error handling::

    def answer(request: RecordedRequest) -> tuple[int, object]:
        return 200, {"data": {"active": False}}

    with LocalHttpServer(answer) as server:
        ...  # call server.url + "/path"; then inspect server.requests
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from servicekit.testing.local_server import LocalServer


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    def json(self) -> Any:
        return json.loads(self.body or b"null")


# (status, body): a dict/list body is sent as JSON, bytes as they are.
Responder = Callable[[RecordedRequest], tuple[int, Any]]


class LocalHttpServer(LocalServer):
    def __init__(self, responder: Responder) -> None:
        super().__init__()
        self.responder = responder
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []

    def _make_server(self) -> ThreadingHTTPServer:
        return ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))

    # -- inspection --------------------------------------------------------------------
    @property
    def url(self) -> str:
        """Base URL, without a trailing slash."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    @property
    def request_count(self) -> int:
        with self._lock:
            return len(self._requests)

    def reset_requests(self) -> None:
        with self._lock:
            self._requests.clear()

    def _record(self, request: RecordedRequest) -> tuple[int, Any]:
        with self._lock:
            self._requests.append(request)
        return self.responder(request)


def _handler_for(owner: LocalHttpServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            request = RecordedRequest(
                method=self.command,
                path=self.path,
                headers={name.lower(): value for name, value in self.headers.items()},
                body=self.rfile.read(length) if length else b"",
            )
            status, body = owner._record(request)
            payload = body if isinstance(body, bytes) else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

        def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
            pass

    return Handler
