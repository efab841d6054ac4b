"""Lockout over HTTP: 429 with Retry-After, reset on success, staff unlock."""

from __future__ import annotations

import pytest

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db
LOGIN = "/api/v1/auth/login/"


@pytest.fixture(autouse=True)
def limits(settings):
    settings.IDENTITY = {**settings.IDENTITY, "LOCKOUT_THRESHOLD": 3, "IP_MAX_FAILURES": 6}


def login(api_client, email, password, ip="203.0.113.50"):
    return api_client.post(LOGIN, {"email": email, "password": password}, format="json", REMOTE_ADDR=ip)


def test_the_account_locks_after_n_failures_with_retry_after(api_client, user):
    statuses = [login(api_client, user.email, "wrong").status_code for _ in range(3)]
    assert statuses == [401, 401, 429]
    locked = login(api_client, user.email, PASSWORD)
    assert locked.status_code == 429
    assert locked.json()["error"]["code"] == "account_locked"
    assert int(locked["Retry-After"]) > 0
    assert locked.json()["error"]["details"]["retry_after"] == int(locked["Retry-After"])


def test_the_ip_is_throttled_with_rate_limited(api_client, user):
    for n in range(6):
        login(api_client, f"spray{n}@example.com", "wrong")
    throttled = login(api_client, user.email, PASSWORD)
    assert throttled.status_code == 429
    assert throttled.json()["error"]["code"] == "rate_limited"
    assert int(throttled["Retry-After"]) > 0
    assert login(api_client, user.email, PASSWORD, ip="203.0.113.51").status_code == 200


def test_a_success_resets_the_failure_count(api_client, user):
    login(api_client, user.email, "wrong")
    login(api_client, user.email, "wrong")
    assert login(api_client, user.email, PASSWORD).status_code == 200
    assert login(api_client, user.email, "wrong").status_code == 401
    assert login(api_client, user.email, "wrong").status_code == 401


def test_staff_unlock(api_client, user, staff_user_client):
    for _ in range(3):
        login(api_client, user.email, "wrong")
    response = staff_user_client.post(f"/api/v1/users/{user.pk}/unlock/")
    assert response.status_code == 204
    assert login(api_client, user.email, PASSWORD).status_code == 200


def test_unlock_is_staff_only_and_404s_unknown_users(user, user_client, staff_user_client):
    assert user_client.post(f"/api/v1/users/{user.pk}/unlock/").status_code == 403
    missing = staff_user_client.post("/api/v1/users/00000000-0000-0000-0000-000000000000/unlock/")
    assert missing.status_code == 404
