"""The call to identity: ``POST /internal/auth/staff-login/`` with the internal token."""

from __future__ import annotations

import logging
import urllib.error
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings

from servicekit.internal import post_internal

logger = logging.getLogger("servicekit.adminauth")

STAFF_LOGIN_PATH = "/internal/auth/staff-login/"
DEFAULT_TIMEOUT_SECONDS = 5.0


def identity_url() -> str:
    """identity's internal base URL: ``SERVICEKIT["IDENTITY_INTERNAL_URL"]``, else the origin of
    the API-key introspection URL (both come from ``IDENTITY_INTERNAL_URL`` in the environment)."""
    configured = settings.SERVICEKIT.get("IDENTITY_INTERNAL_URL")
    if configured:
        return configured.rstrip("/")
    parts = urlsplit(settings.SERVICEKIT["JWT"]["API_KEY_INTROSPECTION_URL"])
    return f"{parts.scheme}://{parts.netloc}"


def staff_login(*, email: str, password: str, request: Any = None) -> dict[str, Any] | None:
    """identity's answer for active staff credentials; None for anything else (refused,
    locked, identity unreachable). The client's address and user agent are passed on so
    identity's lockout and login history see the person, not this service."""
    meta = getattr(request, "META", {}) or {}
    body = {
        "email": email,
        "password": password,
        "service": settings.SERVICE_NAME,
        "forwarded_for": meta.get("HTTP_X_FORWARDED_FOR", ""),
        "remote_addr": meta.get("REMOTE_ADDR", ""),
        "user_agent": meta.get("HTTP_USER_AGENT", "")[:1024],
    }
    timeout = settings.SERVICEKIT.get("ADMIN_AUTH_TIMEOUT_SECONDS", DEFAULT_TIMEOUT_SECONDS)
    try:
        data = post_internal(identity_url() + STAFF_LOGIN_PATH, body, timeout=timeout)
    except urllib.error.HTTPError as exc:
        # 401 wrong credentials, 403 not staff or deactivated, 429 locked: a refusal, not a fault.
        level = logging.INFO if exc.code in (400, 401, 403, 429) else logging.WARNING
        logger.log(level, "identity refused the staff sign-in (HTTP %s)", exc.code)
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        logger.warning("staff sign-in unavailable, identity cannot be reached: %s", exc)
        return None
    return data if isinstance(data, dict) else None
