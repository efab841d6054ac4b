"""/internal/: API-key introspection and staff sign-in for other services' admins."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from identity.apikeys.services import api_key_create, api_key_revoke
from identity.logins.models import LoginAttempt, Outcome
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db
INTROSPECT, STAFF_LOGIN = "/internal/api-keys/introspect/", "/internal/auth/staff-login/"


@pytest.fixture
def internal(api_client, settings):
    api_client.credentials(HTTP_X_INTERNAL_TOKEN=settings.SERVICEKIT["INTERNAL_API_TOKEN"])
    return api_client


@pytest.mark.parametrize("token", [None, "", "wrong"])
def test_internal_endpoints_need_the_internal_token(api_client, token):
    if token is not None:
        api_client.credentials(HTTP_X_INTERNAL_TOKEN=token)
    for url, body in (
        (INTROSPECT, {"key": "ik_x.y"}),
        (STAFF_LOGIN, {"email": "a", "password": "b", "service": "c"}),
    ):
        response = api_client.post(url, body, format="json")
        assert response.status_code == 403 and response.json()["error"]["code"] == "permission_denied"


def test_introspect_an_active_key(internal, user):
    user.roles = ["customer", "vendor"]
    user.save()
    expires_at = timezone.now() + timedelta(days=1)
    api_key, raw_key = api_key_create(user=user, name="ci", scopes=["orders:read"], expires_at=expires_at)
    response = internal.post(INTROSPECT, {"key": raw_key}, format="json")
    assert response.status_code == 200
    data = response.json()["data"]
    assert data == {
        "active": True,
        "user_id": str(user.pk),
        "roles": ["customer", "vendor"],
        "scopes": ["orders:read"],
        "prefix": api_key.prefix,
        "expires_at": data["expires_at"],
    }
    assert data["expires_at"].startswith(expires_at.strftime("%Y-%m-%dT%H:%M"))
    api_key.refresh_from_db()
    assert api_key.last_used_at is not None


def test_introspect_inactive_answers(internal, user):
    api_key, raw_key = api_key_create(user=user, name="ci", scopes=["account:read"])
    api_key_revoke(api_key=api_key)
    for key in (raw_key, "ik_0123456789abcdef." + "a" * 43, "garbage"):
        response = internal.post(INTROSPECT, {"key": key}, format="json")
        assert response.status_code == 200 and response.json()["data"] == {"active": False}


def test_staff_login_answers_with_the_staff_member(internal, admin_user):
    response = internal.post(
        STAFF_LOGIN,
        {
            "email": admin_user.email.upper(),
            "password": PASSWORD,
            "service": "catalog",
            "forwarded_for": "198.51.100.9",
            "remote_addr": "10.0.0.5",
            "user_agent": "Firefox",
        },
        format="json",
    )
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["id"] == str(admin_user.pk) and data["email"] == admin_user.email
    assert data["is_staff"] is True and data["is_superuser"] is True and data["roles"] == ["admin"]
    attempt = LoginAttempt.objects.get()
    assert (attempt.channel, attempt.ip, attempt.user_agent) == ("admin:catalog", "198.51.100.9", "Firefox")


def test_staff_login_refuses_customers_and_wrong_passwords(internal, user, staff):
    customer = internal.post(
        STAFF_LOGIN, {"email": user.email, "password": PASSWORD, "service": "orders"}, format="json"
    )
    assert customer.status_code == 403 and customer.json()["error"]["code"] == "not_staff"
    wrong = internal.post(
        STAFF_LOGIN, {"email": staff.email, "password": "nope", "service": "orders"}, format="json"
    )
    assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "invalid_credentials"
    assert [a.outcome for a in LoginAttempt.objects.order_by("id")] == [
        Outcome.NOT_STAFF,
        Outcome.INVALID_CREDENTIALS,
    ]


def test_staff_login_validation(internal):
    response = internal.post(
        STAFF_LOGIN, {"email": "a@example.com", "password": "x", "service": "Bad Name"}, format="json"
    )
    assert response.status_code == 400 and "service" in response.json()["error"]["details"]
