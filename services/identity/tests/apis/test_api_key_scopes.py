"""identity's routes with API keys: each key may call only what its scopes name, and never more
than its owner's roles allow."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from identity.apikeys.services import api_key_create
from identity.logins import lockout
from tests.factories import AdminFactory, UserFactory

pytestmark = pytest.mark.django_db


def key_client(user, scopes: list[str]) -> APIClient:
    _, raw_key = api_key_create(user=user, name="script", scopes=scopes)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"ApiKey {raw_key}")
    return client


def test_an_admins_catalog_key_can_neither_list_users_nor_unlock_accounts(user):
    client = key_client(AdminFactory(), ["catalog:read"])
    for _ in range(5):
        lockout.attempt_begin(email=user.email, ip=None).failed()

    listed = client.get("/api/v1/users/")
    assert listed.status_code == 403 and listed.json()["error"]["code"] == "insufficient_scope"
    unlocked = client.post(f"/api/v1/users/{user.pk}/unlock/")
    assert unlocked.status_code == 403 and unlocked.json()["error"]["code"] == "insufficient_scope"
    assert lockout.locked_until(user.email, None) is not None  # still locked


def test_a_key_with_users_admin_administers_users(user):
    client = key_client(AdminFactory(), ["users:admin"])
    assert client.get("/api/v1/users/").status_code == 200
    assert client.post(f"/api/v1/users/{user.pk}/unlock/").status_code == 204


def test_users_admin_follows_the_owners_current_roles(user):
    staff = UserFactory(roles=["staff"])
    client = key_client(staff, ["users:admin"])
    assert client.get("/api/v1/users/").status_code == 200
    staff.roles = ["customer"]
    staff.save()
    refused = client.get("/api/v1/users/")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "permission_denied"


def test_reading_ones_account_does_not_allow_changing_it(user):
    client = key_client(user, ["account:read"])
    assert client.get("/api/v1/auth/me/").json()["data"]["id"] == str(user.pk)
    assert client.get("/api/v1/auth/login-history/").status_code == 200
    changed = client.patch("/api/v1/auth/me/", {"first_name": "Mallory"}, format="json")
    assert changed.status_code == 403 and changed.json()["error"]["code"] == "insufficient_scope"
    user.refresh_from_db()
    assert user.first_name != "Mallory"
    assert (
        key_client(user, ["account:write"])
        .patch("/api/v1/auth/me/", {"first_name": "Ada"}, format="json")
        .status_code
        == 200
    )


def test_keys_never_manage_keys_or_passwords(user):
    """Those routes take a user's access token only, whatever the key's scopes."""
    client = key_client(user, ["account:read", "account:write"])
    assert client.get("/api/v1/api-keys/").status_code == 401
    assert client.post("/api/v1/auth/logout-all/").status_code == 401
