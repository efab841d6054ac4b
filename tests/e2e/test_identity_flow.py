"""identity's token lifecycle through the gateway, and tokens verified locally by another service."""

from __future__ import annotations

import json
import time
import uuid

import requests


def post(platform, path, body, token=None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.post(platform.url(path), json=body, headers=headers, timeout=10)


def identity_requests(platform) -> list[dict]:
    lines = [json.loads(line) for line in platform.log("identity-web").splitlines() if line.startswith("{")]
    return [line for line in lines if line.get("logger") == "servicekit.access"]


def test_register_login_me_refresh_logout(platform):
    email = f"e2e-{uuid.uuid4().hex[:8]}@example.com"
    password = "e2e-Correct-Horse-42"

    registered = post(platform, "/api/v1/auth/register/", {"email": email, "password": password})
    assert registered.status_code == 201, registered.text
    assert registered.json()["data"]["email"] == email

    # The same address again: the same answer (registration does not tell who has an account).
    duplicate = post(platform, "/api/v1/auth/register/", {"email": email.upper(), "password": password})
    assert duplicate.status_code == 201, duplicate.text
    assert duplicate.json()["data"].keys() == registered.json()["data"].keys()
    assert duplicate.json()["data"]["id"] != registered.json()["data"]["id"]

    login = post(platform, "/api/v1/auth/login/", {"email": email, "password": password})
    assert login.status_code == 200, login.text
    tokens = login.json()["data"]
    assert tokens["token_type"] == "Bearer" and 0 < tokens["expires_in"] <= 900

    me = requests.get(
        platform.url("/api/v1/auth/me/"), headers={"Authorization": f"Bearer {tokens['access']}"}, timeout=10
    )
    assert me.status_code == 200 and me.json()["data"]["email"] == email

    refreshed = post(platform, "/api/v1/auth/refresh/", {"refresh": tokens["refresh"]})
    assert refreshed.status_code == 200, refreshed.text
    rotated = refreshed.json()["data"]
    assert rotated["refresh"] != tokens["refresh"]

    # Presented again at once (a second tab, a retry): refused, but within the reuse grace
    # period it is not taken for a stolen copy, so the session that rotated it lives on.
    reused = post(platform, "/api/v1/auth/refresh/", {"refresh": tokens["refresh"]})
    assert reused.status_code == 401
    assert reused.json()["error"]["code"] == "token_revoked"
    still = post(platform, "/api/v1/auth/refresh/", {"refresh": rotated["refresh"]})
    assert still.status_code == 200, still.text

    fresh = post(platform, "/api/v1/auth/login/", {"email": email, "password": password}).json()["data"]
    assert (
        post(
            platform, "/api/v1/auth/logout/", {"refresh": fresh["refresh"]}, token=fresh["access"]
        ).status_code
        == 204
    )
    after_logout = post(platform, "/api/v1/auth/refresh/", {"refresh": fresh["refresh"]})
    assert after_logout.status_code == 401
    assert after_logout.json()["meta"]["request_id"] == after_logout.headers["X-Request-ID"]


def test_jwks_is_public_and_plain(platform):
    response = requests.get(platform.url("/.well-known/jwks.json"), timeout=5)
    assert response.status_code == 200
    keys = response.json()["keys"]
    assert keys and all(key["kty"] == "RSA" and "d" not in key for key in keys)


def test_another_service_accepts_the_token_without_asking_identity(platform):
    email = f"e2e-{uuid.uuid4().hex[:8]}@example.com"
    password = "e2e-Correct-Horse-42"
    assert post(platform, "/api/v1/auth/register/", {"email": email, "password": password}).status_code == 201
    access = post(platform, "/api/v1/auth/login/", {"email": email, "password": password}).json()["data"][
        "access"
    ]
    headers = {"Authorization": f"Bearer {access}"}

    first = requests.get(platform.url("/api/v1/cart/"), headers=headers, timeout=10)
    assert first.status_code == 200, first.text  # may fetch the JWKS once
    seen = len(identity_requests(platform))
    for _ in range(20):
        assert requests.get(platform.url("/api/v1/cart/"), headers=headers, timeout=10).status_code == 200
    # Each gunicorn worker keeps its own JWKS cache and fetches it once; nothing else reaches identity.
    later = identity_requests(platform)[seen:]
    assert {line["path"] for line in later} <= {"/.well-known/jwks.json"}, later
    assert len(later) < platform.gunicorn_workers, "orders called identity while verifying tokens"

    anonymous = requests.get(platform.url("/api/v1/cart/"), timeout=10)
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["code"] == "not_authenticated"


def test_an_api_key_works_on_another_service_until_revoked(platform):
    """Create a key in identity, use it on orders (servicekit introspects and caches it), revoke
    it: identity.api_key.revoked travels relay → broker → orders' consumer, which drops the
    cached answer, so the key stops working without waiting for the cache to expire."""
    email = f"e2e-key-{uuid.uuid4().hex[:8]}@example.com"
    password = "e2e-Correct-Horse-42"
    assert post(platform, "/api/v1/auth/register/", {"email": email, "password": password}).status_code == 201
    access = post(platform, "/api/v1/auth/login/", {"email": email, "password": password}).json()["data"][
        "access"
    ]

    created = post(platform, "/api/v1/api-keys/", {"name": "e2e", "scopes": ["orders:read"]}, token=access)
    assert created.status_code == 201, created.text
    key = created.json()["data"]

    def cart_with_key() -> requests.Response:
        return requests.get(
            platform.url("/api/v1/cart/"), headers={"Authorization": f"ApiKey {key['key']}"}, timeout=10
        )

    assert cart_with_key().status_code == 200, cart_with_key().text
    assert cart_with_key().status_code == 200  # now from orders' cache

    revoked = requests.delete(
        platform.url(f"/api/v1/api-keys/{key['id']}/"),
        headers={"Authorization": f"Bearer {access}"},
        timeout=10,
    )
    assert revoked.status_code == 204

    deadline = time.monotonic() + 20
    while (answer := cart_with_key()).status_code == 200 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert answer.status_code == 401, answer.text
    assert answer.json()["error"]["code"] == "api_key_invalid"
