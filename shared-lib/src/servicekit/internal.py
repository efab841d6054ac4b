"""Calls to another service's ``/internal/`` endpoints (the few written down in docs/architecture.md)."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

from django.conf import settings

from servicekit.observability.context import get_request_id

MAX_ANSWER_BYTES = 64 * 1024


def post_internal(url: str, body: dict[str, Any], *, timeout: float) -> Any:
    """POST JSON with the shared internal token and the current request id; return the
    envelope's ``data``. Raises ``urllib.error.HTTPError`` for an error status and
    ``OSError``/``ValueError``/``KeyError`` when the peer cannot be reached or understood."""
    headers = {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "X-Internal-Token": settings.SERVICEKIT["INTERNAL_API_TOKEN"],
    }
    if request_id := get_request_id():
        headers["X-Request-ID"] = request_id
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers=headers, method="POST")
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read(MAX_ANSWER_BYTES))["data"]
