"""identity's API-key introspection endpoint, stood up for a service's tests.

A real HTTP server (so servicekit's client, cache and timeouts run for real) that knows the
keys a test made::

    key = api_key_server.new_key(roles=["staff"], scopes=["catalog:read"])
    client.get(url, HTTP_AUTHORIZATION=f"ApiKey {key}")
    api_key_server.keys[key]["roles"] = ["customer"]  # identity changed its answer

The pytest plugin's ``api_key_server`` fixture starts one and points
``SERVICEKIT["JWT"]["API_KEY_INTROSPECTION_URL"]`` at it; ``api_key_client_for`` makes API
clients sending such keys.
"""

from __future__ import annotations

import secrets
import uuid

from servicekit.testing.http_server import LocalHttpServer, RecordedRequest

INTROSPECT_PATH = "/internal/api-keys/introspect/"


class ApiKeyServer:
    """``keys`` maps a full key to the introspection answer for it."""

    def __init__(self, internal_token: str) -> None:
        self.internal_token = internal_token
        self.keys: dict[str, dict] = {}
        self.server = LocalHttpServer(self.answer)

    @property
    def url(self) -> str:
        return self.server.url + INTROSPECT_PATH

    def answer(self, request: RecordedRequest) -> tuple[int, object]:
        if request.path != INTROSPECT_PATH or request.method != "POST":
            return 404, {"error": {"code": "not_found"}}
        if request.headers.get("x-internal-token") != self.internal_token:
            return 403, {"error": {"code": "permission_denied"}}
        data = self.keys.get(request.json()["key"], {"active": False})
        return 200, {"data": data, "meta": {"request_id": "r"}}

    def new_key(self, *, active: bool = True, expires_at: str | None = None, **data) -> str:
        """A key of a fresh user (``user_id=`` to choose), a customer unless ``roles=`` says
        otherwise, with ``scopes=`` (default: none, which no route accepts)."""
        prefix = f"sk{uuid.uuid4().hex[:10]}"  # unique: Redis outlives test runs
        key = f"{prefix}.{secrets.token_urlsafe(24)}"
        self.keys[key] = {
            "active": active,
            "user_id": str(uuid.uuid4()),
            "roles": ["customer"],
            "scopes": [],
            "prefix": prefix,
            "expires_at": expires_at,
            **data,
        }
        return key

    @property
    def requests(self) -> list[RecordedRequest]:
        return self.server.requests

    @property
    def count(self) -> int:
        return self.server.request_count
