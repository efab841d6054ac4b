"""identity's credentials used against another service, over real HTTP, through servicekit.

identity runs in a live server; the "other service" verifies tokens against identity's real
/.well-known/jwks.json and asks identity's real introspection endpoint about API keys.
"""

from __future__ import annotations

import json
import urllib.request

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from servicekit.auth.api_keys import positive_cache_key
from tests.factories import PASSWORD

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.urls("tests.other_service")]
WHOAMI = "/other-service/whoami/"


@pytest.fixture
def identity_server(live_server, settings):
    jwt_conf = settings.SERVICEKIT["JWT"]  # restored after the test by servicekit's plugin
    jwt_conf["JWKS_URL"] = f"{live_server.url}/.well-known/jwks.json"
    jwt_conf["API_KEY_INTROSPECTION_URL"] = f"{live_server.url}/internal/api-keys/introspect/"
    return live_server


def post_json(url: str, body: dict, headers: dict | None = None) -> dict:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json", **(headers or {})}
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read())


def test_a_login_token_is_accepted_by_another_service(identity_server, user):
    tokens = post_json(
        f"{identity_server.url}/api/v1/auth/login/", {"email": user.email, "password": PASSWORD}
    )["data"]
    other = APIClient()
    other.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    response = other.get(WHOAMI)
    assert response.status_code == 200
    assert response.json()["data"] == {
        "id": str(user.pk),
        "roles": ["customer"],
        "scopes": [],
        "auth_method": "jwt",
    }


def test_api_key_create_use_revoke_rejected(identity_server, client_of, user, captured_events, deliver_event):
    owner = client_of(user)
    created = owner.post("/api/v1/api-keys/", {"name": "ci", "scopes": ["orders:read"]}, format="json")
    assert created.status_code == 201
    key = created.json()["data"]

    other = APIClient()
    other.credentials(HTTP_AUTHORIZATION=f"ApiKey {key['key']}")
    response = other.get(WHOAMI)
    assert response.status_code == 200
    assert response.json()["data"] == {
        "id": str(user.pk),
        "roles": ["customer"],
        "scopes": ["orders:read"],
        "auth_method": "api_key",
    }
    assert cache.get(positive_cache_key(key["prefix"])) is not None  # servicekit cached the answer

    assert owner.delete(f"/api/v1/api-keys/{key['id']}/").status_code == 204
    # Until the revocation event arrives, the other service still trusts its cache (for at
    # most API_KEY_CACHE_SECONDS); the event is what makes revocation immediate.
    assert other.get(WHOAMI).status_code == 200
    revoked = captured_events.assert_published("identity.api_key.revoked", prefix=key["prefix"])
    deliver_event(revoked.type, revoked.data, subject=revoked.subject, producer="identity")

    rejected = other.get(WHOAMI)
    assert rejected.status_code == 401
    assert rejected.json()["error"]["code"] == "api_key_invalid"


def test_deactivation_event_drops_the_users_api_keys_in_other_services(
    identity_server, client_of, user, staff_user_client, captured_events, deliver_event
):
    created = client_of(user).post(
        "/api/v1/api-keys/", {"name": "ci", "scopes": ["orders:read"]}, format="json"
    )
    key = created.json()["data"]
    other = APIClient()
    other.credentials(HTTP_AUTHORIZATION=f"ApiKey {key['key']}")
    assert other.get(WHOAMI).status_code == 200  # now cached by servicekit

    assert staff_user_client.post(f"/api/v1/users/{user.pk}/deactivate/").status_code == 200
    deactivated = captured_events.assert_published("identity.user.deactivated", user_id=str(user.pk))
    assert key["prefix"] in deactivated.data["api_key_prefixes"]
    deliver_event(deactivated.type, deactivated.data, subject=deactivated.subject, producer="identity")

    assert cache.get(positive_cache_key(key["prefix"])) is None
    assert other.get(WHOAMI).status_code == 401
