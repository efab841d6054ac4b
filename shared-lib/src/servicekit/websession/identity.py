"""A web session's two calls to identity: rotate its refresh token, end it.

A synchronous service-to-service call (docs/architecture.md says why): a web session keeps the
tokens in HttpOnly cookies, so the browser cannot refresh them itself; signing in is the
browser's own call to identity through the gateway, the service never sees a password.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from servicekit.observability.context import get_request_id

logger = logging.getLogger(__name__)

REFRESH_PATH = "/api/v1/auth/refresh/"
LOGOUT_PATH = "/api/v1/auth/logout/"
TIMEOUT_SECONDS = 5.0
MAX_ANSWER_BYTES = 64 * 1024


@dataclass(frozen=True)
class TokenPair:
    access: str
    refresh: str


def _post(path: str, body: dict[str, Any]) -> Any:
    url = settings.SERVICEKIT["IDENTITY_INTERNAL_URL"].rstrip("/") + path
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if request_id := get_request_id():
        headers["X-Request-ID"] = request_id
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers=headers, method="POST")
    with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
        raw = response.read(MAX_ANSWER_BYTES)
    return json.loads(raw)["data"] if raw else None


def token_pair_refresh(*, refresh: str) -> TokenPair | None:
    """A new pair for ``refresh``; None when identity refuses it (expired, revoked, reused) or
    cannot be reached."""
    try:
        data = _post(REFRESH_PATH, {"refresh": refresh})
        return TokenPair(access=str(data["access"]), refresh=str(data["refresh"]))
    except urllib.error.HTTPError as exc:
        logger.info("identity refused a web session's refresh (HTTP %s)", exc.code)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        logger.warning("web session refresh unavailable: %s", exc)
    return None


def session_end(*, refresh: str) -> None:
    """Revoke the session's refresh token (best effort: the cookies go either way)."""
    try:
        _post(LOGOUT_PATH, {"refresh": refresh})
    except (OSError, ValueError, KeyError, TypeError) as exc:
        logger.info("identity did not end a web session: %s", exc)
