"""A server for tests on 127.0.0.1 and a free port, served by a daemon thread and stopped by
``stop()`` (or the ``with`` block): the base of the fake HTTP and SMTP servers tests start."""

from __future__ import annotations

import socketserver
import threading
from typing import Self


class LocalServer:
    def __init__(self) -> None:
        self._server: socketserver.BaseServer | None = None
        self._thread: threading.Thread | None = None

    def _make_server(self) -> socketserver.TCPServer:
        """The socketserver to run, bound to ``("127.0.0.1", 0)``."""
        raise NotImplementedError

    def start(self) -> Self:
        server = self._make_server()
        server.daemon_threads = True  # type: ignore[attr-defined]  # a ThreadingMixIn server
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},  # so stop() returns quickly
            name=type(self).__name__,
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket: later connections are refused."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("server is not running")
        return int(self._server.server_address[1])  # type: ignore[index]
