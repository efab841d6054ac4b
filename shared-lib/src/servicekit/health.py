"""The operational endpoints: liveness (/healthz), readiness (/readyz: database, broker,
cache) and Prometheus metrics (/metrics: HTTP requests and the event pipeline)."""

from __future__ import annotations

import math
import socket
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from urllib.parse import urlsplit

import psycopg
import redis
from django.apps import apps
from django.conf import settings
from django.db import connections
from django.http import HttpResponse, JsonResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from servicekit.envelope.meta import build_meta
from servicekit.envelope.views import error_response
from servicekit.observability.metrics import request_registry

_pool = ThreadPoolExecutor(max_workers=3, thread_name_prefix="readyz")


def check_database(timeout: float) -> None:
    """A fresh connection bounded by ``timeout`` (not DB_CONNECT_TIMEOUT), so a hung database
    cannot keep the check's thread busy past the probe and starve the other checks."""
    params = {
        key: value
        for key, value in connections["default"].get_connection_params().items()
        if key not in {"cursor_factory", "context", "prepare_threshold", "server_side_binding"}
    }
    params["connect_timeout"] = max(1, math.ceil(timeout))
    with psycopg.connect(**params, autocommit=True) as connection:
        connection.execute(f"SET statement_timeout = {int(timeout * 1000)}")
        connection.execute("SELECT 1")


def check_broker(timeout: float) -> None:
    """Open a TCP connection and read the AMQP server greeting after our protocol header."""
    url = urlsplit(settings.SERVICEKIT["BROKER_URL"])
    with socket.create_connection((url.hostname or "127.0.0.1", url.port or 5672), timeout) as sock:
        sock.settimeout(timeout)
        sock.sendall(b"AMQP\x00\x00\x09\x01")
        frame = sock.recv(7)
        if len(frame) < 7 or frame[0] != 1:  # 1 = method frame (connection.start)
            raise ConnectionError("unexpected answer from the broker")


def check_cache(timeout: float) -> None:
    location = settings.CACHES["default"]["LOCATION"]
    client = redis.Redis.from_url(location, socket_timeout=timeout, socket_connect_timeout=timeout)
    try:
        client.ping()
    finally:
        client.close()


CHECKS: dict[str, Callable[[float], None]] = {
    "database": check_database,
    "broker": check_broker,
    "cache": check_cache,
}


def run_checks(timeout: float) -> dict[str, dict[str, object]]:
    """Run every check in parallel; each has ``timeout`` seconds to answer."""
    futures = {name: _pool.submit(_timed, check, timeout) for name, check in CHECKS.items()}
    results: dict[str, dict[str, object]] = {}
    for name, future in futures.items():
        try:
            results[name] = future.result(timeout=timeout + 0.5)
        except FutureTimeout:
            results[name] = {"status": "down", "error": f"no answer within {timeout}s"}
    return results


def _timed(check: Callable[[float], None], timeout: float) -> dict[str, object]:
    started = time.perf_counter()
    try:
        check(timeout)
    except Exception as exc:  # any failure means "not ready"; say which and why
        return {"status": "down", "error": f"{type(exc).__name__}: {exc}"[:300]}
    return {"status": "up", "latency_ms": round((time.perf_counter() - started) * 1000, 1)}


def healthz(request) -> JsonResponse:
    return JsonResponse({"data": {"status": "alive", "service": settings.SERVICE_NAME}, "meta": build_meta()})


def readyz(request) -> JsonResponse:
    results = run_checks(settings.SERVICEKIT["HEALTH_TIMEOUT_SECONDS"])
    down = sorted(name for name, result in results.items() if result["status"] != "up")
    if down:
        return error_response(
            503,
            "not_ready",
            f"{settings.SERVICE_NAME} is not ready: {', '.join(down)} unavailable.",
            {"checks": results, "down": down},
        )
    return JsonResponse(
        {
            "data": {"status": "ready", "service": settings.SERVICE_NAME, "checks": results},
            "meta": build_meta(),
        }
    )


def metrics_view(request) -> HttpResponse:
    body = generate_latest(request_registry())
    if apps.is_installed("servicekit.events"):
        from servicekit.events.metrics import events_registry

        body += generate_latest(events_registry())
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
