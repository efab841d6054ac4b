"""/api/v1/builds/tokens/: staff issue, list and revoke build tokens; revocation is immediate."""

from __future__ import annotations

import jwt
import pytest
from django.conf import settings
from rest_framework.test import APIClient

from builds.tokens.models import BuildToken
from tests.apis.conftest import error_of
from tests.factories import RepositoryFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/builds/tokens/"
BODY = {
    "name": "ci-hello",
    "sub": "build",
    "scope": ["build", "upload", "publish", "jobs"],
    "repos": ["apps"],
    "apps": [],
    "prefixes": ["org.example"],
    "duration": 3600,
}


def _bearer(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def test_staff_issue_a_token_shown_once(staff_client):
    response = staff_client.post(URL, BODY, format="json")

    assert response.status_code == 201, response.content
    data = response.json()["data"]
    assert set(data) == {"token", "jti", "expires_at"}
    claims = jwt.decode(data["token"], settings.BUILDS["TOKEN_SECRET"], algorithms=["HS256"])
    assert claims["jti"] == data["jti"] and claims["sub"] == "build" and claims["name"] == "ci-hello"
    assert sorted(claims["scope"]) == ["build", "jobs", "publish", "upload"]
    assert claims["repos"] == ["apps"] and claims["prefixes"] == ["org.example"]
    row = BuildToken.objects.get(jti=data["jti"])
    assert row.issued_by == staff_client.user_id and row.revoked_at is None


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"scope": ["root"]}, "scope"),
        ({"scope": []}, "scope"),
        ({"duration": 0}, "duration"),
        ({"repos": ["../x"]}, "repos"),
        ({"prefixes": ["org example"]}, "prefixes"),
        ({"sub": "build/ x"}, "sub"),
        ({"admin": True}, "admin"),
    ],
)
def test_invalid_tokens_are_400_naming_the_field(staff_client, change, field):
    error = error_of(staff_client.post(URL, {**BODY, **change}, format="json"), 400, "validation_error")
    assert field in error["details"]
    assert not BuildToken.objects.exists()


def test_only_staff_issue_and_list(auth_client, token_client):
    error_of(auth_client.post(URL, BODY, format="json"), 403, "permission_denied")
    error_of(
        token_client(scope=["tokenmanagement"], sub="").post(URL, BODY, format="json"),
        403,
        "permission_denied",
    )
    assert BuildToken.objects.count() == 1  # the token_client's own
    error_of(auth_client.get(URL), 403, "permission_denied")


def test_staff_list_tokens_without_their_values(staff_client):
    issued = staff_client.post(URL, BODY, format="json").json()["data"]

    listed = staff_client.get(URL).json()
    detail = staff_client.get(f"{URL}{issued['jti']}/").json()["data"]

    assert [t["jti"] for t in listed["data"]] == [issued["jti"]]
    assert "token" not in listed["data"][0]
    assert detail["name"] == "ci-hello" and detail["revoked_at"] is None
    error_of(staff_client.get(f"{URL}unknown/"), 404, "not_found")


def test_revocation_takes_effect_at_once_and_reaches_sub_tokens(staff_client, token_client):
    RepositoryFactory(name="apps")
    issued = staff_client.post(URL, BODY, format="json").json()["data"]
    holder = _bearer(issued["token"])
    assert holder.get("/api/v1/builds/builds/").status_code == 200

    response = staff_client.post(f"{URL}{issued['jti']}/revoke/")

    assert response.status_code == 200, response.content
    assert response.json()["data"] == {"jti": issued["jti"], "revoked": 1}
    error = error_of(holder.get("/api/v1/builds/builds/"), 401, "invalid_token")
    assert "revoked" in error["message"]
    assert staff_client.get(URL, {"active": "true"}).json()["data"] == []
    again = staff_client.post(f"{URL}{issued['jti']}/revoke/")
    assert again.json()["data"]["revoked"] == 0  # idempotent


def test_a_token_management_token_may_revoke(token_client):
    victim = token_client()
    manager = token_client(scope=["tokenmanagement"], sub="")

    assert manager.post(f"{URL}{victim.jti}/revoke/").status_code == 200

    assert BuildToken.objects.get(jti=victim.jti).revoked_at is not None


def test_other_callers_may_not_revoke(auth_client, token_client):
    victim = token_client()
    error_of(auth_client.post(f"{URL}{victim.jti}/revoke/"), 403, "permission_denied")
    error_of(token_client(scope=["build"]).post(f"{URL}{victim.jti}/revoke/"), 403, "token_insufficient")
    assert BuildToken.objects.get(jti=victim.jti).revoked_at is None


def test_a_forged_build_token_is_401(api_client):
    forged = jwt.encode(
        {"sub": "build", "exp": 2**31, "scope": ["build"]},
        "not-the-secret-but-long-enough-for-hs256",
        algorithm="HS256",
    )
    error_of(_bearer(forged).get("/api/v1/builds/builds/"), 401, "invalid_token")
