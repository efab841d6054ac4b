"""/api/v1/users/ (staff only): list, detail, activate/deactivate, roles, login history."""

from __future__ import annotations

import jwt
import pytest
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.test import APIClient

from identity.apikeys.services import api_key_create
from identity.logins.models import LoginAttempt, Outcome
from identity.tokens.keys import current_keyring
from identity.tokens.models import RefreshToken
from identity.tokens.services import token_pair_issue
from identity.tokens.signing import access_token_sign
from servicekit.auth.tokens import verify_access_token as servicekit_verify
from tests.factories import AdminFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db
USERS = "/api/v1/users/"
MISSING = "00000000-0000-0000-0000-000000000000"


def test_staff_list_users_paginated(staff_user_client, staff):
    UserFactory.create_batch(3)
    response = staff_user_client.get(USERS, {"page_size": 2})
    assert response.status_code == 200
    body = response.json()
    assert len(body["data"]) == 2
    assert body["meta"]["pagination"]["count"] == 4 and body["meta"]["pagination"]["next"]


def test_search_filters_and_ordering_come_from_the_query_string(staff_user_client):
    UserFactory(email="ada@example.com", last_name="Lovelace")
    UserFactory(email="grace@example.com", last_name="Hopper", is_active=False)
    UserFactory(email="shop@example.com", roles=["customer", "vendor"])
    assert [u["email"] for u in staff_user_client.get(USERS, {"search": "hopper"}).json()["data"]] == [
        "grace@example.com"
    ]
    assert [u["email"] for u in staff_user_client.get(USERS, {"role": "vendor"}).json()["data"]] == [
        "shop@example.com"
    ]
    inactive = staff_user_client.get(USERS, {"is_active": "false"}).json()["data"]
    assert [u["email"] for u in inactive] == ["grace@example.com"]
    ordered = [u["email"] for u in staff_user_client.get(USERS, {"ordering": "-email"}).json()["data"]]
    assert ordered == sorted(ordered, reverse=True) and len(ordered) == 4


def test_empty_filters_mean_no_filter(staff_user_client):
    UserFactory(email="grace@example.com", is_active=False)
    response = staff_user_client.get(f"{USERS}?search=&role=&is_active=&ordering=")
    assert response.status_code == 200, response.content
    assert len(response.json()["data"]) == 2  # the staff caller and grace, inactive included


def test_invalid_filters_are_validation_errors(staff_user_client):
    response = staff_user_client.get(USERS, {"role": "root", "ordering": "password"})
    assert response.status_code == 400
    assert set(response.json()["error"]["details"]) == {"role", "ordering"}


@pytest.mark.parametrize(
    "method, path",
    [
        ("get", ""),
        ("get", "{id}/"),
        ("post", "{id}/activate/"),
        ("post", "{id}/deactivate/"),
        ("put", "{id}/roles/"),
        ("get", "login-history/"),
    ],
)
def test_customers_get_403_and_anonymous_401(user, user_client, api_client, method, path):
    url = USERS + path.format(id=user.pk)
    assert getattr(user_client, method)(url, {"roles": ["admin"]}, format="json").status_code == 403
    assert getattr(api_client, method)(url, {"roles": ["admin"]}, format="json").status_code == 401
    user.refresh_from_db()
    assert user.roles == ["customer"] and user.is_active


def test_detail_and_404(staff_user_client, user):
    assert staff_user_client.get(f"{USERS}{user.pk}/").json()["data"]["email"] == user.email
    missing = staff_user_client.get(f"{USERS}{MISSING}/")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"


def test_deactivate_then_activate(staff_user_client, user, captured_events):
    token_pair_issue(user=user)
    response = staff_user_client.post(f"{USERS}{user.pk}/deactivate/")
    assert response.status_code == 200 and response.json()["data"]["is_active"] is False
    assert not RefreshToken.objects.filter(user=user, revoked_at__isnull=True).exists()
    captured_events.assert_published("identity.user.deactivated", user_id=str(user.pk))
    captured_events.assert_published(
        "identity.user.tokens_revoked", user_id=str(user.pk), reason="deactivated"
    )
    assert staff_user_client.post(f"{USERS}{user.pk}/activate/").json()["data"]["is_active"] is True
    assert staff_user_client.post(f"{USERS}{MISSING}/activate/").status_code == 404


def test_change_roles(staff_user_client, user):
    response = staff_user_client.put(
        f"{USERS}{user.pk}/roles/", {"roles": ["vendor", "customer"]}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["data"]["roles"] == ["customer", "vendor"]


def test_roles_validation(staff_user_client, user):
    for payload in ({"roles": []}, {"roles": ["root"]}, {}):
        response = staff_user_client.put(f"{USERS}{user.pk}/roles/", payload, format="json")
        assert response.status_code == 400 and "roles" in response.json()["error"]["details"]


def test_staff_cannot_grant_admin_or_change_themselves(staff_user_client, staff, user):
    grant = staff_user_client.put(f"{USERS}{user.pk}/roles/", {"roles": ["admin"]}, format="json")
    assert grant.status_code == 403 and grant.json()["error"]["code"] == "permission_denied"
    own = staff_user_client.post(f"{USERS}{staff.pk}/deactivate/")
    assert own.status_code == 403
    user.refresh_from_db()
    staff.refresh_from_db()
    assert user.roles == ["customer"] and staff.is_active


def test_admins_may_grant_admin(client_of, user):
    response = client_of(AdminFactory()).put(f"{USERS}{user.pk}/roles/", {"roles": ["admin"]}, format="json")
    assert response.status_code == 200 and response.json()["data"]["roles"] == ["admin"]


def test_staff_see_every_login_attempt_with_filters(staff_user_client, user):
    LoginAttempt.objects.create(user=user, email=user.email, outcome=Outcome.SUCCEEDED, ip="203.0.113.1")
    LoginAttempt.objects.create(user=None, email="x@example.com", outcome=Outcome.INVALID_CREDENTIALS)
    everything = staff_user_client.get(f"{USERS}login-history/").json()["data"]
    assert len(everything) == 2
    failed = staff_user_client.get(f"{USERS}login-history/", {"succeeded": "false"}).json()["data"]
    assert [a["email"] for a in failed] == ["x@example.com"]
    by_user = staff_user_client.get(f"{USERS}login-history/", {"user_id": str(user.pk)}).json()["data"]
    assert [a["user_id"] for a in by_user] == [str(user.pk)]


def test_a_staff_token_of_someone_demoted_since_is_refused_at_once(client_of, staff):
    client = client_of(staff)
    staff.roles = ["customer"]
    staff.save()
    assert client.get(USERS).status_code == 403


def test_a_staff_token_without_an_identity_account_is_refused(api_client, token_factory):
    # Signed by identity, staff by its claims, but of no account identity knows.
    claims = token_factory.claims(roles=["staff"])
    keyring = current_keyring()
    token = jwt.encode(claims, keyring.signing_key, algorithm="RS256", headers={"kid": keyring.signing_kid})
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert api_client.get(USERS).status_code == 403


def test_taking_a_role_away_revokes_the_users_tokens_and_cached_keys_everywhere(
    client_of, staff_user_client, captured_events, deliver_event
):
    """identity says so with identity.user.tokens_revoked; every service (identity too) refuses
    the demoted user's older tokens once its consumer has recorded it, and drops its cached
    answers for the user's API keys, which carried the old roles."""
    vendor = StaffFactory(roles=["staff", "vendor"])
    token = access_token_sign(vendor).token
    old_token = APIClient()
    old_token.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    api_key, _ = api_key_create(user=vendor, name="ci", scopes=["users:admin"])
    assert old_token.get(USERS).status_code == 200
    assert servicekit_verify(token).roles == {"staff", "vendor"}  # as another service sees it

    demoted = staff_user_client.put(f"{USERS}{vendor.pk}/roles/", {"roles": ["vendor"]}, format="json")
    assert demoted.status_code == 200
    event = captured_events.assert_published(
        "identity.user.tokens_revoked", user_id=str(vendor.pk), reason="roles_changed"
    )
    assert event.data["api_key_prefixes"] == [api_key.prefix]
    deliver_event(event.type, event.data, subject=event.subject, producer="identity")

    refused = old_token.get("/api/v1/auth/me/")  # not a staff route: the token itself is void
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "token_revoked"
    with pytest.raises(AuthenticationFailed) as elsewhere:
        servicekit_verify(token)
    assert elsewhere.value.get_codes() == "token_revoked"
    fresh = client_of(vendor)  # signing in again gives the roles the user has now
    assert fresh.get("/api/v1/auth/me/").json()["data"]["roles"] == ["vendor"]


def test_adding_a_role_signs_nobody_out(client_of, staff_user_client, user, captured_events):
    token = client_of(user)
    response = staff_user_client.put(
        f"{USERS}{user.pk}/roles/", {"roles": ["customer", "vendor"]}, format="json"
    )
    assert response.status_code == 200
    assert captured_events.of_type("identity.user.tokens_revoked") == []
    assert token.get("/api/v1/auth/me/").status_code == 200
