"""Authorization across services, through the gateway: API-key scopes, and a role taken away
reaching every service within the revocation sync interval."""

from __future__ import annotations

import time
import uuid

import requests

from tests.e2e.shopping import CUSTOMER_PASSWORD, Api, new_customer, wait_for


def me(api: Api) -> dict:
    return api.get("/api/v1/auth/me/").json()["data"]


def set_roles(platform, admin: Api, user_id: str, roles: list[str]) -> None:
    answer = requests.put(
        platform.url(f"/api/v1/users/{user_id}/roles/"),
        json={"roles": roles},
        headers=admin.headers,
        timeout=10,
    )
    assert answer.status_code == 200, answer.text


def test_a_catalog_read_key_reads_the_catalog_and_nothing_else(platform, admin):
    created = admin.post("/api/v1/api-keys/", {"name": "e2e-catalog", "scopes": ["catalog:read"]})
    assert created.status_code == 201, created.text
    headers = {"Authorization": f"ApiKey {created.json()['data']['key']}"}

    def call(method: str, path: str, **kwargs) -> requests.Response:
        return requests.request(method, platform.url(path), headers=headers, timeout=10, **kwargs)

    assert call("GET", "/api/v1/catalog/products/").status_code == 200
    for method, path in [
        ("GET", "/api/v1/users/"),  # the key's owner is an admin: the scope is what refuses
        ("GET", "/api/v1/cart/"),
        ("POST", "/api/v1/cart/items/"),
        ("GET", "/api/v1/orders/"),
        ("GET", "/api/v1/payments/"),
        ("POST", "/api/v1/catalog/categories/"),
    ]:
        answer = call(method, path, json={})
        assert answer.status_code == 403, (method, path, answer.text)
        assert answer.json()["error"]["code"] == "insufficient_scope", (method, path)


def test_a_demoted_staff_member_loses_staff_powers_everywhere_within_seconds(platform, admin):
    member = me(new_customer(platform))
    set_roles(platform, admin, member["id"], ["staff"])
    staff = Api(platform, member["email"], CUSTOMER_PASSWORD)  # signs in again: a token with the staff role
    created = staff.post("/api/v1/catalog/categories/", {"name": f"Demotion {uuid.uuid4().hex[:6]}"})
    assert created.status_code == 201, created.text
    assert staff.get("/api/v1/orders/").status_code == 200

    set_roles(platform, admin, member["id"], ["customer"])
    started = time.monotonic()

    def refused_everywhere() -> list[requests.Response] | bool:
        # Each web process pulls the revocation list on its own: ask often enough to meet them
        # all. An empty body: a 400 while the token is still good (nothing is created), a 401
        # once it is void.
        answers = [
            answer
            for _ in range(2 * platform.gunicorn_workers)
            for answer in (staff.post("/api/v1/catalog/categories/", {}), staff.get("/api/v1/orders/"))
        ]
        return all(answer.status_code == 401 for answer in answers) and answers

    answers = wait_for(refused_everywhere, timeout=30)
    # The event's delivery plus JWT_REVOCATION_SYNC_SECONDS (5 s), with room for a busy machine.
    assert time.monotonic() - started < 15
    assert {answer.json()["error"]["code"] for answer in answers} == {"token_revoked"}
