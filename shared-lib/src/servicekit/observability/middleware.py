"""Request id and access-log middleware, first in every service's stack."""

from __future__ import annotations

import ipaddress
import json
import logging
import time
from typing import Any

from django.conf import settings

from servicekit.observability import metrics, requestlog
from servicekit.observability.context import clean_request_id, reset_request_id, set_request_id

REQUEST_ID_HEADER = "X-Request-ID"
# The envelope's error code of an error answer, for the gateway's access log
# ($upstream_http_x_error_code) and anyone reading headers only.
ERROR_CODE_HEADER = "X-Error-Code"
# An error envelope is small; a larger body is not parsed for its code.
_MAX_ERROR_BODY = 65536
access_logger = logging.getLogger("servicekit.access")


class RequestIdMiddleware:
    """Take X-Request-ID from the gateway (or make one), expose it and echo it back."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        request_id = clean_request_id(request.headers.get(REQUEST_ID_HEADER))
        request.request_id = request_id
        token = set_request_id(request_id)
        try:
            response = self.get_response(request)
        finally:
            reset_request_id(token)
        response[REQUEST_ID_HEADER] = request_id
        code = error_code_of(response)
        if code and ERROR_CODE_HEADER not in response:
            response[ERROR_CODE_HEADER] = code
        return response


def error_code_of(response: Any) -> str | None:
    """``error.code`` of an error answer's envelope (4xx/5xx), else None.

    A DRF answer still has its data; a Django one (servicekit.envelope.views) its JSON body.
    Streams, files and other media types are not read."""
    if response.status_code < 400 or getattr(response, "streaming", False):
        return None
    data = getattr(response, "data", None)
    if not isinstance(data, dict):
        content_type = response.get("Content-Type", "")
        if "json" not in content_type or len(response.content) > _MAX_ERROR_BODY:
            return None
        try:
            data = json.loads(response.content)
        except ValueError:
            return None
    error = data.get("error") if isinstance(data, dict) else None
    code = error.get("code") if isinstance(error, dict) else None
    if (
        not isinstance(code, str)
        or not code
        or len(code) > 100
        or not (code.isascii() and code.isprintable())
    ):
        return None
    return code


class AccessLogMiddleware:
    """One structured line per request, and the Prometheus request metrics."""

    QUIET_PATHS = ("/healthz", "/metrics")

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        duration = time.perf_counter() - started
        route = _route_of(request)
        metrics.observe_request(request.method, route, response.status_code, duration)
        if not request.path.startswith(self.QUIET_PATHS):
            address = client_ip(request)
            access_logger.info(
                "%s %s %s",
                request.method,
                request.path,
                response.status_code,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "route": route,
                    "status": response.status_code,
                    "duration_ms": round(duration * 1000, 2),
                    "client_ip": address,
                    **({"error_code": code} if (code := error_code_of(response)) else {}),
                },
            )
            requestlog.record_request(request, response, route=route, duration=duration, client_ip=address)
        return response


def _route_of(request) -> str:
    """The URL pattern (not the raw path), so metrics do not explode with ids."""
    match = getattr(request, "resolver_match", None)
    if match is not None and match.route:
        return "/" + match.route.lstrip("^")
    return "unmatched"


def client_ip_from(*, forwarded_for: str, remote_addr: str | None) -> str | None:
    """The client address as the trusted proxies saw it.

    The gateway appends the address it saw to X-Forwarded-For; anything to its left came
    from the client and is not trusted. With ``TRUSTED_PROXY_HOPS`` proxies, the client is
    the n-th entry from the right; without the header, the socket peer.
    """
    hops = settings.SERVICEKIT["TRUSTED_PROXY_HOPS"]
    entries = [entry.strip() for entry in (forwarded_for or "").split(",") if entry.strip()]
    candidate = entries[-hops] if hops > 0 and len(entries) >= hops else remote_addr
    try:
        return str(ipaddress.ip_address((candidate or "").strip()))
    except ValueError:
        return None


def client_ip(request) -> str | None:
    return client_ip_from(
        forwarded_for=request.META.get("HTTP_X_FORWARDED_FOR", ""),
        remote_addr=request.META.get("REMOTE_ADDR"),
    )
