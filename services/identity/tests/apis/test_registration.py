"""POST /auth/register/, /auth/verify-email/, /auth/verify-email/resend/."""

from __future__ import annotations

import statistics
import time
from functools import partial

import pytest
from rest_framework.test import APIClient

from identity.accounts.models import User
from servicekit.testing.concurrency import results_concurrently
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


def register(client, email: str, **fields):
    return client.post(REGISTER, {"email": email, "password": PASSWORD, **fields}, format="json")


def test_registering_an_existing_address_answers_exactly_like_a_new_one(api_client, captured_events):
    owner = UserFactory(email="taken@example.com", roles=["staff"], first_name="Grace", email_verified=True)
    new = register(api_client, "fresh@example.com", first_name="Eve")
    taken = register(api_client, "TAKEN@example.com", first_name="Eve")

    assert new.status_code == taken.status_code == 201
    assert new["Content-Type"] == taken["Content-Type"]
    new_data, taken_data = new.json()["data"], taken.json()["data"]
    assert list(taken_data) == list(new_data)
    volatile = {"id", "email", "created_at", "updated_at"}
    assert {k: v for k, v in taken_data.items() if k not in volatile} == {
        k: v for k, v in new_data.items() if k not in volatile
    }
    # Nothing of the owner's account shows: not its id, roles, name, verification or age.
    assert taken_data["email"] == "taken@example.com"
    assert taken_data["id"] != str(owner.pk) and not User.objects.filter(pk=taken_data["id"]).exists()
    assert taken_data["roles"] == ["customer"] and taken_data["first_name"] == "Eve"
    assert taken_data["email_verified"] is False and taken_data["last_login"] is None

    # The owner's account is untouched, and the owner is told.
    owner.refresh_from_db()
    assert owner.check_password(PASSWORD) and owner.first_name == "Grace" and owner.roles == ["staff"]
    assert User.objects.filter(email="taken@example.com").count() == 1
    attempt = captured_events.assert_published(
        "identity.user.registration_attempted", subject=str(owner.pk), user_id=str(owner.pk)
    )
    assert attempt.data["email"] == "taken@example.com"
    assert [event.data["email"] for event in captured_events.of_type("identity.user.registered")] == [
        "fresh@example.com"
    ]


def test_a_weak_password_is_refused_alike_for_a_new_and_a_taken_address(api_client, captured_events):
    UserFactory(email="taken@example.com")
    new = api_client.post(REGISTER, {"email": "fresh@example.com", "password": "short"}, format="json")
    taken = api_client.post(REGISTER, {"email": "taken@example.com", "password": "short"}, format="json")
    assert new.status_code == taken.status_code == 400
    assert new.json()["error"] == taken.json()["error"]
    captured_events.assert_nothing_published()


def test_the_owner_is_told_once_per_cooldown(api_client, captured_events):
    UserFactory(email="taken@example.com")
    for _ in range(3):
        assert register(api_client, "taken@example.com").status_code == 201
    assert len(captured_events.of_type("identity.user.registration_attempted")) == 1


def test_a_taken_address_costs_a_password_hash_like_a_new_one(api_client, settings):
    settings.PASSWORD_HASHERS = ["tests.hashers.CountingHasher"]
    from tests.hashers import CountingHasher

    UserFactory(email="taken@example.com")
    CountingHasher.calls = 0
    register(api_client, "fresh@example.com")
    hashed_for_new, CountingHasher.calls = CountingHasher.calls, 0
    register(api_client, "taken@example.com")
    assert hashed_for_new == CountingHasher.calls == 1


def test_a_taken_address_takes_about_as_long_as_a_new_one(api_client, settings):
    """With a production-like hasher, hashing is most of a registration; a taken address that
    skipped it would answer several times faster."""
    settings.PASSWORD_HASHERS = ["tests.hashers.SlowHasher"]
    UserFactory(email="taken@example.com")

    def duration(email: str) -> float:
        started = time.perf_counter()
        assert register(api_client, email).status_code == 201
        return time.perf_counter() - started

    duration("warm-up@example.com")
    new, taken = [], []
    for n in range(5):  # interleaved, so a busy moment of the machine slows both alike
        new.append(duration(f"fresh{n}@example.com"))
        taken.append(duration("taken@example.com"))
    assert statistics.median(taken) > 0.5 * statistics.median(new), (new, taken)


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

    responses = results_concurrently([partial(register, n) for n in range(8)])
    assert [response.status_code for response in responses] == [201] * 8  # the losers can't tell
    assert User.objects.filter(email="race@example.com").count() == 1
    assert len(captured_events.of_type("identity.user.registered")) == 1
    assert len(captured_events.of_type("identity.user.registration_attempted")) == 1  # the cooldown
