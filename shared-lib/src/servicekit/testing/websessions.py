"""Tests of signed-in web pages (servicekit.websession): a browser-like client holding the
cookies the login page's script would have got, and identity's refresh and logout endpoints
on a real local HTTP server (the plugin's ``web_client_for`` and ``identity_sessions``)."""

from __future__ import annotations

from typing import Any

import jwt
from django.test import Client

from servicekit.testing.http_server import LocalHttpServer, RecordedRequest
from servicekit.testing.tokens import TokenFactory
from servicekit.websession import WebSession


def web_client(
    tokens: TokenFactory,
    area: WebSession,
    *,
    roles: tuple[str, ...] = ("customer",),
    user_id: str | None = None,
    enforce_csrf: bool = False,
    **access_claims: Any,
) -> Client:
    """A Django test client signed in to ``area`` (its two cookies), with ``.user_id``."""
    client = Client(enforce_csrf_checks=enforce_csrf)
    access = tokens.access_token(user_id, roles=roles, **access_claims)
    client.user_id = jwt.decode(access, options={"verify_signature": False})["sub"]  # type: ignore[attr-defined]
    client.cookies[area.access_cookie] = access
    client.cookies[area.refresh_cookie] = tokens.refresh_token(client.user_id)  # type: ignore[attr-defined]
    return client


class IdentitySessions:
    """identity's ``/api/v1/auth/refresh/`` (a new pair for ``user_id``, with ``roles``; each
    access token issued is in ``issued``) and ``/api/v1/auth/logout/``. ``refusing`` makes it
    refuse refreshes as identity does a revoked or rotated token. ``server`` has the requests."""

    def __init__(self, tokens: TokenFactory, *, roles: tuple[str, ...] = ("staff",)) -> None:
        self.tokens = tokens
        self.roles = roles
        self.user_id = "3f0e4b7a-1111-4c3c-9c55-3d5b8a7e0a01"
        self.refusing = False
        self.issued: list[str] = []
        self.server = LocalHttpServer(self._answer)

    def _answer(self, request: RecordedRequest) -> tuple[int, Any]:
        if request.path == "/api/v1/auth/refresh/":
            if self.refusing:
                return 401, {"error": {"code": "token_revoked", "message": "Refresh token has been revoked."}}
            access = self.tokens.access_token(self.user_id, roles=self.roles)
            self.issued.append(access)
            return 200, {"data": {"access": access, "refresh": self.tokens.refresh_token(self.user_id)}}
        if request.path == "/api/v1/auth/logout/":
            return 204, b""
        return 404, {"error": {"code": "not_found"}}
