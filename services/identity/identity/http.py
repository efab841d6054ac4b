"""Helpers for identity's HTTP edge (the client address comes from servicekit's ``client_ip``)."""

from __future__ import annotations

MAX_USER_AGENT = 512


def user_agent(request) -> str:
    return request.META.get("HTTP_USER_AGENT", "")[:MAX_USER_AGENT]
