"""A real ASGI server (uvicorn, as in production) serving the service in this process, on a
free port, against the test database. Tests using it see only committed data: they use
``transactional_db`` (the ``live`` fixture asks for it)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import uvicorn


@dataclass(frozen=True)
class Live:
    url: str  # http://127.0.0.1:<port>


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def live_server_asgi() -> Iterator[Live]:
    from builds.asgi import application

    port = _free_port()
    config = uvicorn.Config(
        application,
        host="127.0.0.1",
        port=port,
        lifespan="off",
        access_log=False,
        log_level="warning",
        timeout_graceful_shutdown=2,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="live-asgi", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the ASGI server did not start"
        time.sleep(0.05)
    yield Live(url=f"http://127.0.0.1:{port}")
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def live(live_server_asgi, transactional_db) -> Live:
    return live_server_asgi
