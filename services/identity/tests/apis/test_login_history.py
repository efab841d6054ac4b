"""GET /api/v1/auth/login-history/: a user's own attempts."""

from __future__ import annotations

import pytest

from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db
HISTORY = "/api/v1/auth/login-history/"


def test_users_see_their_own_attempts_only(api_client, user, user_client):
    other = UserFactory()
    login = "/api/v1/auth/login/"
    api_client.post(login, {"email": user.email, "password": "wrong"}, format="json", HTTP_USER_AGENT="ua-1")
    api_client.post(login, {"email": user.email, "password": PASSWORD}, format="json", HTTP_USER_AGENT="ua-2")
    api_client.post(login, {"email": other.email, "password": PASSWORD}, format="json")
    response = user_client.get(HISTORY)
    assert response.status_code == 200
    attempts = response.json()["data"]
    assert [(a["outcome"], a["succeeded"], a["user_agent"]) for a in attempts] == [
        ("succeeded", True, "ua-2"),
        ("invalid_credentials", False, "ua-1"),
    ]
    assert attempts[0]["ip"] == "127.0.0.1" and attempts[0]["created_at"]
    assert response.json()["meta"]["pagination"]["count"] == 2
    only_failures = user_client.get(HISTORY, {"succeeded": "false"}).json()["data"]
    assert [a["outcome"] for a in only_failures] == ["invalid_credentials"]


def test_login_history_needs_authentication(api_client):
    assert api_client.get(HISTORY).status_code == 401
