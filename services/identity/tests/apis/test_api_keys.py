"""/api/v1/api-keys/: create (shown once), list (never the secret), detail, revoke."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from identity.apikeys.models import ApiKey
from identity.apikeys.services import api_key_create
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
KEYS = "/api/v1/api-keys/"


def test_create_shows_the_key_once(user_client, user, captured_events):
    expires_at = (timezone.now() + timedelta(days=30)).isoformat()
    response = user_client.post(
        KEYS, {"name": "CI", "scopes": ["orders:read"], "expires_at": expires_at}, format="json"
    )
    assert response.status_code == 201
    data = response.json()["data"]
    assert re.fullmatch(r"ik_[a-f0-9]{16}\.[A-Za-z0-9_-]{43}", data["key"])
    assert data["key"].startswith(data["prefix"] + ".")
    assert data["scopes"] == ["orders:read"] and data["is_active"] is True and data["last_used_at"] is None
    captured_events.assert_published("identity.api_key.created", prefix=data["prefix"], user_id=str(user.pk))

    listed = user_client.get(KEYS).json()["data"]
    assert [key["prefix"] for key in listed] == [data["prefix"]]
    assert "key" not in listed[0] and "secret_hash" not in listed[0]
    assert data["key"].split(".")[1] not in str(listed)
    detail = user_client.get(f"{KEYS}{data['id']}/").json()["data"]
    assert "key" not in detail and detail["name"] == "CI"


def test_list_holds_only_the_callers_keys(user_client, user):
    api_key_create(user=UserFactory(), name="theirs", scopes=["account:read"])
    api_key_create(user=user, name="mine", scopes=["account:read"])
    assert [key["name"] for key in user_client.get(KEYS).json()["data"]] == ["mine"]


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"scopes": ["orders:read"]}, "name"),
        ({"name": "x"}, "scopes"),
        ({"name": "x", "scopes": []}, "scopes"),
        ({"name": "x", "scopes": ["Not A Scope"]}, "scopes"),
        ({"name": "x", "scopes": ["cart:read"]}, "scopes"),
        ({"name": "x", "scopes": "orders:read"}, "scopes"),
        ({"name": "x", "scopes": ["orders:read"], "expires_at": "2001-01-01T00:00:00Z"}, "expires_at"),
        ({"name": "x" * 101, "scopes": ["orders:read"]}, "name"),
    ],
)
def test_create_validation(user_client, payload, field):
    response = user_client.post(KEYS, payload, format="json")
    assert response.status_code == 400
    assert field in response.json()["error"]["details"]
    assert not ApiKey.objects.exists()


@pytest.mark.parametrize("scopes", [["users:admin"], ["orders:read", "users:admin"], ["analytics:read"]])
def test_a_customer_cannot_grant_scopes_beyond_their_role(user_client, scopes, captured_events):
    response = user_client.post(KEYS, {"name": "x", "scopes": scopes}, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error" and list(error["details"]) == ["scopes"]
    assert not ApiKey.objects.exists()
    captured_events.assert_nothing_published()


def test_an_unlisted_scope_is_refused_to_everyone(client_of, admin_user):
    response = client_of(admin_user).post(KEYS, {"name": "x", "scopes": ["anything:goes"]}, format="json")
    assert response.status_code == 400 and "anything:goes" in str(response.json()["error"]["details"])


@pytest.mark.parametrize(
    "roles, scopes",
    [
        (["customer"], ["account:read", "orders:read", "orders:write", "builds:write", "catalog:write"]),
        (["customer", "vendor"], ["catalog:write", "analytics:read"]),
        (["staff"], ["users:admin", "orders:write", "catalog:read"]),
        (["admin"], ["users:admin", "messaging:send"]),
    ],
)
def test_each_role_grants_its_own_scopes(client_of, roles, scopes):
    owner = UserFactory(roles=roles)
    response = client_of(owner).post(KEYS, {"name": "x", "scopes": scopes}, format="json")
    assert response.status_code == 201 and response.json()["data"]["scopes"] == sorted(scopes)


def test_revoke(user_client, user, captured_events):
    api_key, _ = api_key_create(user=user, name="ci", scopes=["account:read"])
    response = user_client.delete(f"{KEYS}{api_key.pk}/")
    assert response.status_code == 204
    api_key.refresh_from_db()
    assert api_key.revoked_at is not None
    captured_events.assert_published("identity.api_key.revoked", prefix=api_key.prefix)
    assert user_client.get(f"{KEYS}{api_key.pk}/").json()["data"]["is_active"] is False


def test_another_users_key_is_404_for_read_and_revoke(user_client, captured_events):
    theirs, _ = api_key_create(user=UserFactory(), name="theirs", scopes=["account:read"])
    for response in (user_client.get(f"{KEYS}{theirs.pk}/"), user_client.delete(f"{KEYS}{theirs.pk}/")):
        assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    theirs.refresh_from_db()
    assert theirs.revoked_at is None
    assert not captured_events.of_type("identity.api_key.revoked")


def test_api_keys_need_a_user_token(api_client, user):
    assert api_client.get(KEYS).status_code == 401
    assert api_client.post(KEYS, {"name": "x"}, format="json").status_code == 401
    _, raw_key = api_key_create(user=user, name="ci", scopes=["account:read"])
    api_client.credentials(HTTP_AUTHORIZATION=f"ApiKey {raw_key}")
    # An API key cannot mint more keys: the endpoint only takes a user's access token.
    assert api_client.post(KEYS, {"name": "x"}, format="json").status_code == 401
