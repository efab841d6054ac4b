"""A real nginx (started by gateway/run.sh) in front of real services, once per session.

identity and catalog run as real gunicorn processes (catalog reached over its unix socket);
orders and builds point at free ports where nothing listens and analytics at a unix socket
nothing created (502), messaging at a socket that accepts connections and never answers (504). Every port is picked free; everything is stopped by PID at the end.
``limited_gateway`` is a second nginx on its own, with a general rate low enough to hit.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RUNNING_SERVICES = ("identity", "catalog")
ALLOWED_ORIGIN = "https://app.example.com"
READ_TIMEOUT_SECONDS = 3  # short, for the 504 test; ample for the real services
SERVICES = ("identity", "catalog", "orders", "builds", "messaging", "analytics")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def json(self) -> dict:
        return json.loads(self.body)

    @property
    def request_id(self) -> str:
        return self.headers["X-Request-ID"]


@dataclass
class Stack:
    port: int
    access_log: Path
    service_logs: dict[str, Path]
    upstreams: dict[str, str]
    media_roots: dict[str, Path]  # each running service's MEDIA_ROOT
    allowed_origin: str = ALLOWED_ORIGIN
    read_timeout: int = READ_TIMEOUT_SECONDS
    settings: dict[str, str] = field(default_factory=dict)  # the GATEWAY_* ones it runs with
    processes: list[subprocess.Popen] = field(default_factory=list)

    def request(
        self, method: str, path: str, headers: dict | None = None, body: bytes | None = None
    ) -> Response:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            return Response(response.status, response.headers, response.read())
        finally:
            conn.close()

    def get(self, path: str, **headers: str) -> Response:
        return self.request("GET", path, headers={k.replace("_", "-"): v for k, v in headers.items()})

    def raw(self, data: bytes) -> Response:
        """Send ``data`` as it is (a malformed request http.client would refuse to write)."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as sock:
            sock.sendall(data)
            response = http.client.HTTPResponse(sock)
            response.begin()
            return Response(response.status, response.headers, response.read())

    def log_line(self, log: Path, request_id: str, timeout: float = 5) -> dict:
        """The JSON line of ``log`` carrying ``request_id`` (logs are written after the response)."""

        def find():
            return next((entry for entry in log_lines(log) if entry.get("request_id") == request_id), None)

        return poll(find, timeout, f"a log line with request_id {request_id} in {log.name}")


def poll(condition, timeout: float, what: str, processes=()):
    """Call ``condition`` until it returns something truthy; fail early if a process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for proc in processes:
            if proc.poll() is not None:
                pytest.fail(f"{what}: process {proc.args} exited with {proc.returncode}")
        result = condition()
        if result:
            return result
        time.sleep(0.1)
    pytest.fail(f"{what}: not within {timeout}s")


def http_ok(port: int, path: str) -> bool:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", path)
        return conn.getresponse().status == 200
    except OSError:
        return False


def start(argv: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    # Append mode: nginx writes the access log (/dev/stdout, reopened) and its error log
    # (stderr) into the same file; without O_APPEND one would overwrite the other's lines.
    with log.open("ab") as out:
        # Own session: the process and its workers can be stopped as one group by our PID.
        return subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def stop_all(processes: list[subprocess.Popen]) -> None:
    """Signal every process group we started at once (gunicorn and nginx: quick shutdown), then reap."""
    running = [proc for proc in processes if proc.poll() is None]
    for proc in running:
        os.killpg(proc.pid, signal.SIGINT)
    for proc in running:
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def start_gateway(stack: Stack, prefix: Path, settings: dict[str, str]) -> None:
    """gateway/run.sh on ``stack.port`` with the given GATEWAY_* settings, once it answers."""
    env = {
        **os.environ,
        "PYTHON": sys.executable,
        "GATEWAY_PREFIX": str(prefix),
        "GATEWAY_PORT": str(stack.port),
        **{f"{name.upper()}_UPSTREAM": address for name, address in stack.upstreams.items()},
        **settings,
    }
    stack.settings = settings
    stack.processes.append(start([str(ROOT / "gateway" / "run.sh")], env, stack.access_log))
    poll(lambda: http_ok(stack.port, "/healthz"), 15, "gateway", stack.processes)


@pytest.fixture(scope="session")
def stack(tmp_path_factory) -> Iterator[Stack]:
    tmp = tmp_path_factory.mktemp("gateway")
    blackhole = socket.create_server(("127.0.0.1", 0), backlog=64)  # accepts, never answers
    ports = {name: free_port() for name in RUNNING_SERVICES}
    # catalog is reached over its unix socket (SERVICE_SOCKET_DIR), as every native run does;
    # identity over TCP, as containers are: both kinds of upstream go through the real nginx.
    socket_dir = tmp / "run"
    upstreams = {
        "identity": f"127.0.0.1:{ports['identity']}",
        "catalog": f"unix:{socket_dir / 'catalog.sock'}",
        "orders": f"127.0.0.1:{free_port()}",
        "builds": f"127.0.0.1:{free_port()}",
        "analytics": f"unix:{socket_dir / 'analytics.sock'}",  # no such socket: a stopped native service
        "messaging": f"127.0.0.1:{blackhole.getsockname()[1]}",
    }
    stack = Stack(
        port=free_port(),
        access_log=tmp / "gateway.log",
        service_logs={name: tmp / f"{name}.log" for name in RUNNING_SERVICES},
        upstreams=upstreams,
        media_roots={name: tmp / f"{name}-media" for name in RUNNING_SERVICES},
    )
    # A socket directory in the outer environment (a shell of `make run`'s) is not ours to use.
    base_env = {k: v for k, v in os.environ.items() if k != "SERVICE_SOCKET_DIR"} | {"PYTHON": sys.executable}
    try:
        for name, port in ports.items():
            env = {
                **base_env,
                "PORT": str(port),
                "GUNICORN_BIND": f"127.0.0.1:{port}",
                "GUNICORN_WORKERS": "1",
                "DJANGO_ENV": "development",
                "LOG_FORMAT": "json",
                "WAIT_TIMEOUT_SECONDS": "20",
                "MEDIA_ROOT": str(stack.media_roots[name]),
                **({"SERVICE_SOCKET_DIR": str(socket_dir)} if name == "catalog" else {}),
            }
            stack.media_roots[name].mkdir()
            # gunicorn's control socket is one path per user: leave it to a running platform.
            argv = [str(ROOT / "services" / name / "entrypoint.sh"), "web", "--no-control-socket"]
            stack.processes.append(start(argv, env, stack.service_logs[name]))
        gateway_settings = {
            "GATEWAY_RATE_GENERAL": "1000r/s",
            "GATEWAY_BURST_GENERAL": "1000",
            "GATEWAY_RATE_AUTH": "1r/s",  # low, so a short burst is rejected
            "GATEWAY_BURST_AUTH": "2",
            "GATEWAY_MAX_BODY": "16k",
            "GATEWAY_MAX_BODY_BUILDS": "1m",
            "GATEWAY_PROXY_READ_TIMEOUT": f"{READ_TIMEOUT_SECONDS}s",
            "GATEWAY_WORKER_PROCESSES": "2",
            "CORS_ALLOWED_ORIGINS": f"{ALLOWED_ORIGIN},http://localhost:3000",
        }
        start_gateway(stack, tmp / "prefix", gateway_settings)

        for name, port in ports.items():
            poll(lambda p=port: http_ok(p, "/healthz"), 30, f"{name} healthz", stack.processes)
            # Warm up the lazily imported views so the short proxy timeout only hits messaging.
            http_ok(port, "/readyz")
            http_ok(port, "/api/schema/?format=json")
        yield stack
    finally:
        stop_all(stack.processes)
        blackhole.close()


@contextlib.contextmanager
def lone_gateway(tmp: Path, settings: dict[str, str]) -> Iterator[Stack]:
    """A second nginx alone (every upstream a free port: 502), started with ``settings``."""
    stack = Stack(
        port=free_port(),
        access_log=tmp / "gateway.log",
        service_logs={},
        upstreams={name: f"127.0.0.1:{free_port()}" for name in SERVICES},
        media_roots={},
    )
    try:
        start_gateway(stack, tmp / "prefix", settings)
        yield stack
    finally:
        stop_all(stack.processes)


@pytest.fixture(scope="module")
def limited_gateway(tmp_path_factory) -> Iterator[Stack]:
    """A lone gateway with a very low general rate."""
    settings = {
        "GATEWAY_RATE_GENERAL": "1r/m",  # after the burst, nothing more within the test
        "GATEWAY_BURST_GENERAL": "3",
        "GATEWAY_WORKER_PROCESSES": "1",
    }
    with lone_gateway(tmp_path_factory.mktemp("limited-gateway"), settings) as stack:
        yield stack


def log_lines(path: Path) -> list[dict]:
    lines = []
    for line in path.read_text(errors="replace").splitlines():
        if line.startswith("{"):
            with contextlib.suppress(json.JSONDecodeError):  # a line still being written
                lines.append(json.loads(line))
    return lines
