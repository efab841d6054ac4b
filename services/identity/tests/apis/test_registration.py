"""POST /auth/register/, /auth/verify-email/, /auth/verify-email/resend/."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from identity.accounts.models import User
from tests.concurrency import run_concurrently
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db
REGISTER = "/api/v1/auth/register/"


def test_register_answers_201_with_the_user_and_publishes(api_client, captured_events):
    response = api_client.post(
        REGISTER, {"email": "Ada@Example.com", "password": PASSWORD, "first_name": "Ada"}, format="json"
    )
    assert response.status_code == 201
    data = response.json()["data"]
    assert data["email"] == "ada@example.com"
    assert data["roles"] == ["customer"] and data["email_verified"] is False and data["is_active"] is True
    assert "password" not in data
    captured_events.assert_published("identity.user.registered", user_id=data["id"])


def test_register_ignores_a_stale_authorization_header(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer expired.or.garbage")
    response = api_client.post(REGISTER, {"email": "ada@example.com", "password": PASSWORD}, format="json")
    assert response.status_code == 201


@pytest.mark.parametrize(
    "extra", [{"roles": ["admin"]}, {"is_active": False}, {"email_verified": True}, {"is_staff": True}]
)
def test_register_refuses_to_assign_roles_or_flags(api_client, extra, captured_events):
    response = api_client.post(
        REGISTER, {"email": "eve@example.com", "password": PASSWORD, **extra}, format="json"
    )
    assert response.status_code == 400
    assert set(extra) <= set(response.json()["error"]["details"])
    assert not User.objects.exists()
    captured_events.assert_nothing_published()


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"password": PASSWORD}, "email"),
        ({"email": "not-an-email", "password": PASSWORD}, "email"),
        ({"email": "ada@example.com"}, "password"),
        ({"email": "ada@example.com", "password": "short"}, "password"),
        ({"email": "ada@example.com", "password": "ada@example.com"}, "password"),
    ],
)
def test_register_validation_errors_name_the_field(api_client, payload, field):
    response = api_client.post(REGISTER, payload, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error" and field in error["details"]


def test_registering_an_existing_email_is_a_clear_409(api_client, captured_events):
    UserFactory(email="taken@example.com")
    response = api_client.post(REGISTER, {"email": "TAKEN@example.com", "password": PASSWORD}, format="json")
    assert response.status_code == 409
    assert response.json()["error"] == {
        "code": "email_taken",
        "message": "An account with this email already exists.",
        "details": {},
    }
    captured_events.assert_nothing_published()


def test_verify_email_with_the_link_from_the_event(api_client, captured_events):
    api_client.post(REGISTER, {"email": "ada@example.com", "password": PASSWORD}, format="json")
    token = captured_events.of_type("identity.user.registered")[0].data["verification_token"]
    response = api_client.post("/api/v1/auth/verify-email/", {"token": token}, format="json")
    assert response.status_code == 200
    assert response.json()["data"] == {"email": "ada@example.com", "email_verified": True}
    again = api_client.post("/api/v1/auth/verify-email/", {"token": token}, format="json")
    assert again.status_code == 400 and again.json()["error"]["code"] == "invalid_token"


def test_verify_email_needs_a_token(api_client):
    response = api_client.post("/api/v1/auth/verify-email/", {}, format="json")
    assert response.status_code == 400
    assert "token" in response.json()["error"]["details"]


def test_resend_answers_the_same_whether_or_not_the_account_exists(api_client, captured_events):
    UserFactory(email="pending@example.com", email_verified=False)
    known = api_client.post(
        "/api/v1/auth/verify-email/resend/", {"email": "pending@example.com"}, format="json"
    )
    unknown = api_client.post(
        "/api/v1/auth/verify-email/resend/", {"email": "nobody@example.com"}, format="json"
    )
    assert known.status_code == unknown.status_code == 202
    assert known.json()["data"] == unknown.json()["data"]
    assert captured_events.types == ["identity.user.email_verification_requested"]


@pytest.mark.django_db(transaction=True)
def test_concurrent_registrations_of_one_email_create_one_account(captured_events):
    def register(n: int):
        email = "Race@Example.com" if n % 2 else "race@example.com"  # one account, case aside
        return APIClient().post(REGISTER, {"email": email, "password": PASSWORD}, format="json")

    responses = run_concurrently(8, register)
    assert sorted(response.status_code for response in responses) == [201] + [409] * 7
    for response in responses:
        if response.status_code == 409:
            assert response.json()["error"]["code"] == "email_taken"
    assert User.objects.filter(email="race@example.com").count() == 1
    assert len(captured_events.of_type("identity.user.registered")) == 1
