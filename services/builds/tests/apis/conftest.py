from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from builds.tokens.services import token_issue

ALL_SCOPES = ["build", "upload", "publish", "jobs", "download", "reviewcheck"]


@pytest.fixture
def token_client():
    """``token_client(scope=[...], sub="build", **claims)``: an APIClient holding a build token."""

    def make(*, scope=ALL_SCOPES, sub="build", name="ci", **claims) -> APIClient:
        issued = token_issue(name=name, sub=sub, scope=scope, duration=3600, **claims)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.token}")
        client.jti = issued.jti
        client.token = issued.token
        return client

    return make


def error_of(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["error"]["code"] == code, body
    return body["error"]
