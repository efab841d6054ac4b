"""API request logs for the analytics service, shipped off the request path.

The access-log middleware hands every request it logs to :func:`record_request`: a small dict
appended to an in-memory buffer, no I/O. A daemon thread in each process ships the buffer to a
Redis stream every ``REQUEST_LOG_FLUSH_SECONDS``, or as soon as ``REQUEST_LOG_BATCH_SIZE``
records wait, as one stream entry per batch (``XADD … MAXLEN ~``). The analytics service's
ingester moves the stream into Postgres (``manage.py ingest_request_logs``) and trims what it
stored.

Why not the broker or the database: a request must not wait on either, and one entry of a few
hundred records costs Redis less than a message per request costs RabbitMQ.

What can be lost (the loss bound, written up in ``docs/analytics.md``):
- a process killed without exiting (SIGKILL, OOM) loses what it had not shipped yet: at most
  ``REQUEST_LOG_FLUSH_SECONDS`` of its requests, never more than ``REQUEST_LOG_BUFFER_SIZE``;
  a normal exit (gunicorn's graceful stop, a max-requests restart) ships first;
- while Redis cannot be reached, records beyond ``REQUEST_LOG_BUFFER_SIZE`` per process are
  dropped and counted (``request_logs_dropped_total``);
- a stream longer than ``REQUEST_LOG_STREAM_MAXLEN`` entries (the ingester stopped that long)
  loses its oldest entries.

Off in tests (``DJANGO_ENV=test``) unless ``REQUEST_LOG_ENABLED`` or the
``SERVICEKIT_REQUEST_LOG`` setting says otherwise.
"""

from __future__ import annotations

import atexit
import collections
import json
import logging
import os
import threading
import time
from dataclasses import dataclass
from typing import Any

import redis
from django.conf import settings
from django.utils.functional import LazyObject, empty
from prometheus_client import Counter

from servicekit.observability.context import get_request_id

logger = logging.getLogger("servicekit.requestlog")

FORMAT_VERSION = "1"
MAX_ERROR_BODY_BYTES = 8192
WARN_EVERY_SECONDS = 60.0

SHIPPED = Counter("request_logs_shipped_total", "Request log records shipped to the stream")
DROPPED = Counter("request_logs_dropped_total", "Request log records dropped: buffer full")


@dataclass(frozen=True)
class RequestLogConf:
    enabled: bool
    redis_url: str
    stream: str = "platform:request-logs"
    flush_seconds: float = 1.0
    batch_size: int = 500
    buffer_size: int = 20000
    stream_maxlen: int = 20000  # entries, each a batch of up to batch_size records


def request_log_conf() -> RequestLogConf:
    """``SERVICEKIT["REQUEST_LOG"]`` (the ``REQUEST_LOG_*`` variables, read by servicekit's
    settings), then the ``SERVICEKIT_REQUEST_LOG`` setting's overrides (tests use it)."""
    return RequestLogConf(
        **{**settings.SERVICEKIT["REQUEST_LOG"], **getattr(settings, "SERVICEKIT_REQUEST_LOG", {})}
    )


class Shipper:
    """The per-process buffer and the thread that empties it into the stream."""

    def __init__(self, conf: RequestLogConf) -> None:
        self.conf = conf
        self._start_lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._pid: int | None = None
        self._last_warning = 0.0

    def record(self, entry: dict[str, Any]) -> None:
        if self._pid != os.getpid():  # first use, or a forked child (gunicorn workers)
            self._start()
        if len(self._buffer) >= self.conf.buffer_size:
            DROPPED.inc()
            return
        self._buffer.append(entry)
        if len(self._buffer) >= self.conf.batch_size:
            self._wake.set()

    def _start(self) -> None:
        with self._start_lock:
            if self._pid == os.getpid():
                return
            self._buffer: collections.deque[dict[str, Any]] = collections.deque()
            self._wake = threading.Event()
            self._client = redis.Redis.from_url(
                self.conf.redis_url, socket_timeout=2, socket_connect_timeout=1
            )
            threading.Thread(target=self._run, name="request-log-shipper", daemon=True).start()
            if self._pid is None:
                atexit.register(self.flush_quietly)
            self._pid = os.getpid()

    def _run(self) -> None:
        while True:
            self._wake.wait(self.conf.flush_seconds)
            self._wake.clear()
            self.flush_quietly()

    def flush(self) -> int:
        """Ship everything buffered; returns how many records. Raises if Redis fails (what was
        not shipped stays buffered, in order)."""
        if self._pid != os.getpid():
            return 0
        shipped = 0
        with self._flush_lock:
            while self._buffer:
                batch = [self._buffer.popleft() for _ in range(min(self.conf.batch_size, len(self._buffer)))]
                try:
                    self._client.xadd(
                        self.conf.stream,
                        encode_entry(batch),
                        maxlen=self.conf.stream_maxlen,
                        approximate=True,
                    )
                except Exception:
                    self._buffer.extendleft(reversed(batch))
                    raise
                shipped += len(batch)
                SHIPPED.inc(len(batch))
        return shipped

    def flush_quietly(self) -> None:
        try:
            self.flush()
        except Exception as exc:  # Redis away: keep the records, say so now and then
            now = time.monotonic()
            if now - self._last_warning >= WARN_EVERY_SECONDS:
                self._last_warning = now
                logger.warning("cannot ship %d request log records: %r", len(self._buffer), exc)


_shipper: Shipper | None = None
_configured = False


def shipper() -> Shipper | None:
    """This process's shipper, or None when request logging is off."""
    global _shipper, _configured
    if not _configured:
        conf = request_log_conf()
        _shipper = Shipper(conf) if conf.enabled else None
        _configured = True
    return _shipper


def reset() -> None:
    """Forget the configuration (tests change it); a running thread keeps its old buffer."""
    global _shipper, _configured
    _shipper, _configured = None, False


def record_request(request, response, *, route: str, duration: float, client_ip: str | None) -> None:
    """Called once per request by the access-log middleware."""
    target = shipper()
    if target is None:
        return
    target.record(
        {
            "at": round(time.time() - duration, 6),
            "service": settings.SERVICE_NAME,
            "method": request.method,
            "route": route,
            "status": response.status_code,
            "error_code": error_code_of(response),
            "duration_ms": round(duration * 1000, 3),
            "user_id": principal_id_of(request),
            "client_ip": client_ip,
            "request_id": get_request_id(),
        }
    )


def principal_id_of(request) -> str | None:
    """The principal DRF authenticated, if any. Django's own lazy session user is never
    evaluated here (that would cost a query on every request)."""
    user = request.__dict__.get("user")
    if isinstance(user, LazyObject):  # isinstance on the proxy's own type: no evaluation
        user = None if user._wrapped is empty else user._wrapped
    # A servicekit Principal (not a Django user: the admin's shadow users are no API callers).
    return user.id if getattr(user, "is_principal", False) else None


def error_code_of(response) -> str | None:
    """The envelope's ``error.code`` of an error response (DRF's data, or a small JSON body)."""
    if response.status_code < 400:
        return None
    body = getattr(response, "data", None)
    if (
        body is None
        and not response.streaming
        and response.get("Content-Type", "").startswith("application/json")
    ):
        content = response.content
        if len(content) <= MAX_ERROR_BODY_BYTES:
            try:
                body = json.loads(content)
            except ValueError:
                return None
    error = body.get("error") if isinstance(body, dict) else None
    code = error.get("code") if isinstance(error, dict) else None
    return code if isinstance(code, str) else None


def encode_entry(records: list[dict[str, Any]]) -> dict[Any, Any]:  # redis-py types its fields so
    """The fields of the stream entry carrying ``records``."""
    return {"v": FORMAT_VERSION, "records": json.dumps(records, separators=(",", ":"))}


def decode_entry(fields_: dict[bytes, bytes]) -> list[dict[str, Any]]:
    """The records of one stream entry (for the ingester); raises ValueError if it is not one."""
    if fields_.get(b"v") != FORMAT_VERSION.encode():
        raise ValueError(f"unknown request log format {fields_.get(b'v')!r}")
    records = json.loads(fields_[b"records"])
    if not isinstance(records, list):
        raise ValueError("records is not a list")
    return records
