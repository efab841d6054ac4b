"""GET|PATCH /api/v1/auth/me/ and POST /api/v1/auth/me/password/."""

from __future__ import annotations

import pytest

from identity.tokens.models import RefreshToken
from identity.tokens.services import token_pair_issue
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db
ME = "/api/v1/auth/me/"


def test_me_returns_the_callers_account_in_the_envelope(user_client, user):
    response = user_client.get(ME)
    assert response.status_code == 200
    body = response.json()
    assert body["data"]["id"] == str(user.pk)
    assert body["data"]["email"] == user.email
    assert body["data"]["roles"] == ["customer"]
    assert "password" not in body["data"]
    assert body["meta"]["request_id"]


def test_me_without_credentials_is_401(api_client):
    response = api_client.get(ME)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_me_of_a_deactivated_account_is_401_even_with_a_valid_token(user_client, user):
    user.is_active = False
    user.save()
    response = user_client.get(ME)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "account_inactive"


def test_patch_me_changes_the_name(user_client, user, captured_events):
    response = user_client.patch(ME, {"first_name": "Grace", "last_name": "Hopper"}, format="json")
    assert response.status_code == 200
    assert response.json()["data"]["first_name"] == "Grace"
    user.refresh_from_db()
    assert (user.first_name, user.last_name) == ("Grace", "Hopper")
    event = captured_events.assert_published("identity.user.updated", user_id=str(user.pk))
    assert event.data["changed"] == ["first_name", "last_name"]


def test_patch_me_changes_the_language_that_the_users_events_carry(user_client, user, captured_events):
    assert user_client.get(ME).json()["data"]["language"] == "en"

    response = user_client.patch(ME, {"language": "es"}, format="json")

    assert response.status_code == 200
    assert response.json()["data"]["language"] == "es"
    user.refresh_from_db()
    assert user.language == "es"
    event = captured_events.assert_published("identity.user.updated", user_id=str(user.pk), language="es")
    assert event.data["changed"] == ["language"]


@pytest.mark.parametrize("language", ["fr", "", "ES", None])
def test_patch_me_refuses_a_language_the_platform_does_not_speak(
    user_client, user, language, captured_events
):
    response = user_client.patch(ME, {"language": language}, format="json")

    assert response.status_code == 400
    assert list(response.json()["error"]["details"]) == ["language"]
    user.refresh_from_db()
    assert user.language == "en"
    captured_events.assert_nothing_published()


@pytest.mark.parametrize(
    "payload",
    [
        {"roles": ["admin"]},
        {"is_active": False},
        {"email_verified": True},
        {"first_name": "Eve", "roles": ["staff", "admin"]},
        {"is_staff": True},
        {"email": "other@example.com"},
    ],
)
def test_patch_me_refuses_mass_assignment_of_roles_and_flags(client_of, user, payload, captured_events):
    user.email_verified = False
    user.save()
    response = client_of(user).patch(ME, payload, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    protected = set(payload) - {"first_name"}
    assert protected <= set(error["details"])
    user.refresh_from_db()
    assert user.roles == ["customer"]
    assert user.is_active is True
    assert user.email_verified is False
    assert user.first_name == "Ada"
    captured_events.assert_nothing_published()


def test_patch_me_validates_lengths(user_client):
    response = user_client.patch(ME, {"first_name": "x" * 151}, format="json")
    assert response.status_code == 400
    assert "first_name" in response.json()["error"]["details"]


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("multipart/form-data; boundary=b0", b"--b0\r\n70481073210029--b0--\r\n"),
        ("application/x-www-form-urlencoded", b"first_name=Grace"),
    ],
)
def test_patch_me_takes_json_only(user_client, user, captured_events, content_type, body):
    """A form body naming no field used to be a 200 that changed nothing (found by fuzzing)."""
    response = user_client.generic("PATCH", ME, body, content_type=content_type)

    assert response.status_code == 415, response.content
    assert response.json()["error"]["code"] == "unsupported_media_type"
    user.refresh_from_db()
    assert user.first_name != "Grace"
    captured_events.assert_nothing_published()


# -- password change ------------------------------------------------------------------------------
PASSWORD_URL = "/api/v1/auth/me/password/"
NEW_PASSWORD = "an0ther-Long-passphrase"


def test_password_change_needs_the_current_password(user_client, user):
    response = user_client.post(
        PASSWORD_URL, {"current_password": "wrong", "new_password": NEW_PASSWORD}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["details"] == {"current_password": ["The current password is incorrect."]}
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_password_change_applies_the_password_validators(user_client):
    response = user_client.post(
        PASSWORD_URL, {"current_password": PASSWORD, "new_password": "12345678"}, format="json"
    )
    assert response.status_code == 400
    assert "new_password" in response.json()["error"]["details"]


def test_password_change_signs_the_user_out_everywhere(user_client, user, captured_events):
    pair = token_pair_issue(user=user)
    response = user_client.post(
        PASSWORD_URL, {"current_password": PASSWORD, "new_password": NEW_PASSWORD}, format="json"
    )
    assert response.status_code == 204
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert not RefreshToken.objects.filter(user=user, revoked_at__isnull=True).exists()
    captured_events.assert_published(
        "identity.user.tokens_revoked", user_id=str(user.pk), reason="password_changed"
    )
    refreshed = user_client.post("/api/v1/auth/refresh/", {"refresh": pair.refresh}, format="json")
    assert refreshed.status_code == 401
