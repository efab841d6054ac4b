"""The pieces of the chaos test: a supervisor that restarts what dies, a recorder of every
request the scripted load makes (with the windows in which a dependency was down), and the
faults themselves (broker and database paths cut through TCP proxies, SIGKILLs, a web restart).

Process handling goes through tests/harness.py only (``Platform.children``, ``start_process``),
so it keeps working however the harness groups processes.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import requests

from servicekit.testing.tcp_proxy import TcpProxy
from tests.harness import Platform

# After a path comes back, the first requests may still meet a connection broken by the cut
# (a pooled one, a client's reconnect backoff): they count as inside the window.
GRACE_SECONDS = 3.0


@dataclass
class Call:
    actor: str
    service: str
    method: str
    path: str
    started: float
    ended: float
    status: int | None  # None: no answer at all (a connection error, a timeout)
    body: object = None
    error: str = ""


@dataclass
class Window:
    """A stretch of time when ``dependency`` was down for ``services`` (``None``: all of them)."""

    dependency: str
    started: float
    ended: float | None
    services: frozenset[str] | None = None

    def covers(self, call: Call) -> bool:
        if self.services is not None and call.service not in self.services:
            return False
        ended = (self.ended if self.ended is not None else time.monotonic()) + GRACE_SECONDS
        return call.started <= ended and call.ended >= self.started


@dataclass
class Journal:
    """Every request of the load, every fault injected and every process exit seen."""

    calls: list[Call] = field(default_factory=list)
    windows: list[Window] = field(default_factory=list)
    faults: list[str] = field(default_factory=list)
    exits: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    began: float = field(default_factory=time.monotonic)

    def note(self, what: str) -> None:
        line = f"{time.monotonic() - self.began:7.1f}s {what}"
        print(line, flush=True)
        with self.lock:
            self.faults.append(line)

    def record(self, call: Call) -> None:
        with self.lock:
            self.calls.append(call)

    def server_errors(self) -> list[Call]:
        return [c for c in self.calls if c.status is None or c.status >= 500]

    def unexplained(self) -> list[Call]:
        """5xx (or no answer) outside every window of a dependency of the call, or not the
        gateway's/service's JSON 503 envelope."""
        return [call for call in self.server_errors() if not self.explained(call)]

    def explained(self, call: Call) -> bool:
        windows = [w for w in self.windows if w.covers(call)]
        if not windows:
            return False
        if call.status is None:
            return False  # even with a dependency down, an answer is due (the envelope)
        if any(w.dependency == "web" for w in windows):
            # The service itself was down: the gateway answers for it (502 while nothing listens).
            return call.status in (502, 503) and _code(call) == "upstream_unavailable"
        return call.status == 503 and _code(call) is not None


def _code(call: Call) -> str | None:
    body = call.body
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        return body["error"].get("code")
    return None


class Client:
    """The gateway as one actor of the load sees it; every call is recorded."""

    def __init__(self, platform: Platform, journal: Journal, actor: str, token: str | None = None) -> None:
        self.platform = platform
        self.journal = journal
        self.actor = actor
        self.session = requests.Session()
        self.token = token
        self.credentials: dict[str, str] | None = None  # to sign in again when the token expires

    def call(
        self, method: str, path: str, *, service: str, json_body=None, headers=None, params=None
    ) -> Call:
        call = self._call(method, path, service=service, json_body=json_body, headers=headers, params=params)
        if call.status == 401 and self.credentials and _code(call) == "token_expired":
            signed_in = self._call(
                "POST", "/api/v1/auth/login/", service="identity", json_body=self.credentials
            )
            if signed_in.status == 200:
                self.token = signed_in.body["data"]["access"]
                call = self._call(
                    method, path, service=service, json_body=json_body, headers=headers, params=params
                )
        return call

    def _call(
        self, method: str, path: str, *, service: str, json_body=None, headers=None, params=None
    ) -> Call:
        all_headers = dict(headers or {})
        if self.token and not path.startswith("/api/v1/auth/login/"):
            all_headers["Authorization"] = f"Bearer {self.token}"
        started = time.monotonic()
        status, body, error = None, None, ""
        try:
            response = self.session.request(
                method,
                self.platform.url(path),
                json=json_body,
                headers=all_headers,
                params=params,
                timeout=30,
            )
            status = response.status_code
            try:
                body = response.json()
            except ValueError:
                body = response.text[:500]
        except requests.RequestException as exc:
            error = f"{type(exc).__name__}: {exc}"
        call = Call(self.actor, service, method, path, started, time.monotonic(), status, body, error)
        self.journal.record(call)
        return call

    def until(
        self,
        make: Callable[[], Call],
        done: Callable[[Call], bool],
        *,
        deadline: float,
        pause: float = 0.5,
    ) -> Call:
        """Repeat a call until ``done`` says its answer is definitive (a fault may delay one)."""
        while True:
            call = make()
            if done(call):
                return call
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.actor}: no definitive answer by the deadline: {describe(call)}")
            time.sleep(_retry_after(call) or pause)


def _retry_after(call: Call) -> float | None:
    """What a 429 or 503 envelope asks a polite client to wait (details.retry_after), capped."""
    body = call.body
    if call.status in (429, 503) and isinstance(body, dict):
        details = (body.get("error") or {}).get("details") or {}
        wait = details.get("retry_after") if isinstance(details, dict) else None
        if isinstance(wait, int | float) and wait > 0:
            return min(float(wait), 10.0)
    return None


def describe(call: Call) -> str:
    body = json.dumps(call.body)[:300] if call.body is not None else call.error
    return f"{call.actor} {call.method} {call.path} -> {call.status} {body}"


class Supervisor:
    """Restart any platform process that exits, as systemd or Kubernetes would; ``hold(name)``
    while a process is stopped on purpose."""

    def __init__(self, platform: Platform, journal: Journal) -> None:
        self.platform = platform
        self.journal = journal
        self.held: set[str] = set()
        self.restarts: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._lock = threading.Lock()

    def __enter__(self) -> Supervisor:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            with self._lock:
                for name, child in list(self.platform.children.items()):
                    if name == "gateway" or name in self.held or child.poll() is None:
                        continue
                    self.journal.exits.append(f"{name} exited with {child.returncode}")
                    service, process = name.split("-", 1)
                    self.platform.start_process(service, process)
                    self.restarts[name] = self.restarts.get(name, 0) + 1

    def kill(self, name: str) -> None:
        """SIGKILL a process and everything it started (a container killed for its memory)."""
        child = self.platform.children[name]
        self.journal.note(f"SIGKILL {name} (pid {child.pid})")
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, signal.SIGKILL)

    def restart_web(self, service: str, timeout: float = 180) -> None:
        """Stop a web process (SIGTERM: gunicorn finishes what it serves) and start it again;
        the window lasts until the gateway reaches it again."""
        name = f"{service}-web"
        with self._lock:
            self.held.add(name)
        window = Window("web", time.monotonic(), None, frozenset({service}))
        self.journal.windows.append(window)
        self.journal.note(f"restart {name}")
        try:
            self.platform.stop_process(name)
            self.platform.start_process(service, "web")
            deadline = time.monotonic() + timeout
            while True:
                try:
                    if requests.get(self.platform.url(f"/health/{service}/"), timeout=2).status_code == 200:
                        break
                except requests.RequestException:
                    pass
                if time.monotonic() > deadline:
                    raise AssertionError(
                        f"{name} not back after {timeout}s:\n{self.platform.log(name)[-2000:]}"
                    )
                time.sleep(0.2)
        finally:
            window.ended = time.monotonic()
            with self._lock:
                self.held.discard(name)
        self.journal.note(f"{name} is back")


class PathCutter:
    """Cut a proxied path for a while, each cut recorded as a window of its dependency."""

    def __init__(self, journal: Journal) -> None:
        self.journal = journal

    def cut(self, proxy: TcpProxy, dependency: str, seconds: float, stop: threading.Event) -> None:
        window = Window(dependency, time.monotonic(), None)
        self.journal.windows.append(window)
        self.journal.note(f"cut {dependency} for {seconds:g}s")
        proxy.cut()
        stop.wait(seconds)
        proxy.restore()
        window.ended = time.monotonic()
        self.journal.note(f"restored {dependency}")
