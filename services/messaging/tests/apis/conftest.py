"""What the API tests share: callers (a user, another user, staff, API keys), and reading answers."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterator

import pytest

from servicekit.auth import forget_api_key
from servicekit.testing.http_server import LocalHttpServer, RecordedRequest

INTROSPECT_PATH = "/internal/api-keys/introspect/"


class ApiKeyServer:
    """identity's API-key introspection, as a real HTTP server: ``keys`` maps a key to its answer."""

    def __init__(self, internal_token: str) -> None:
        self.internal_token = internal_token
        self.keys: dict[str, dict] = {}
        self.server = LocalHttpServer(self.answer)

    def answer(self, request: RecordedRequest) -> tuple[int, object]:
        if request.path != INTROSPECT_PATH or request.headers.get("x-internal-token") != self.internal_token:
            return 404, {"error": {"code": "not_found"}}
        return 200, {"data": self.keys.get(request.json()["key"], {"active": False}), "meta": {}}

    def new_key(self, *, user_id: str, scopes: list[str], roles: tuple[str, ...] = ("customer",)) -> str:
        prefix = f"sk{uuid.uuid4().hex[:10]}"  # unique: Redis outlives test runs
        key = f"{prefix}.{secrets.token_urlsafe(24)}"
        self.keys[key] = {
            "active": True,
            "user_id": user_id,
            "roles": list(roles),
            "scopes": scopes,
            "prefix": prefix,
            "expires_at": None,
        }
        return key


@pytest.fixture
def api_key_server(settings) -> Iterator[ApiKeyServer]:
    fake = ApiKeyServer(settings.SERVICEKIT["INTERNAL_API_TOKEN"])
    fake.server.start()
    # servicekit's plugin restores SERVICEKIT["JWT"] after the test.
    settings.SERVICEKIT["JWT"]["API_KEY_INTROSPECTION_URL"] = fake.server.url + INTROSPECT_PATH
    yield fake
    fake.server.stop()
    for key in fake.keys:
        forget_api_key(key.split(".")[0])


@pytest.fixture
def api_key_client_for(api_key_server):
    """``api_key_client_for(user_id, "messaging:read")``: a client sending such a key."""
    from rest_framework.test import APIClient

    def make(user_id: uuid.UUID | str, *scopes: str, roles: tuple[str, ...] = ("customer",)) -> APIClient:
        client = APIClient()
        key = api_key_server.new_key(user_id=str(user_id), scopes=list(scopes), roles=roles)
        client.credentials(HTTP_AUTHORIZATION=f"ApiKey {key}")
        return client

    return make


@pytest.fixture
def user(client_for, user_id):
    """The caller: a customer signed in with a token."""
    return client_for(user_id)


@pytest.fixture
def stranger(client_for):
    """Another customer."""
    return client_for(uuid.uuid4())


def code_of(response) -> str | None:
    return response.json().get("error", {}).get("code")


def details_of(response) -> dict:
    return response.json()["error"]["details"]


def data_of(response):
    return response.json()["data"]
