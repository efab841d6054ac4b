"""identity's Django admin: staff sign-in through the login rules, screens, actions, forms."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission

from identity.accounts.models import User
from identity.apikeys.services import api_key_create
from identity.logins import lockout
from identity.logins.models import LoginAttempt, Outcome
from identity.tokens.services import token_pair_issue
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db
ADMIN = "/admin/identity/"


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def test_staff_sign_in_to_the_admin_with_their_identity_credentials(client, staff):
    response = client.post(f"{ADMIN}login/", {"username": staff.email.upper(), "password": PASSWORD})
    assert response.status_code == 302
    attempt = LoginAttempt.objects.get()
    assert (attempt.user, attempt.outcome, attempt.channel) == (staff, Outcome.SUCCEEDED, "admin:identity")


def test_customers_and_wrong_passwords_are_refused(client, user, staff):
    for email, password in ((user.email, PASSWORD), (staff.email, "wrong")):
        response = client.post(f"{ADMIN}login/", {"username": email, "password": password})
        assert response.status_code == 200 and b"errornote" in response.content
    assert [a.outcome for a in LoginAttempt.objects.order_by("id")] == [
        Outcome.NOT_STAFF,
        Outcome.INVALID_CREDENTIALS,
    ]


@pytest.mark.parametrize(
    "path",
    [
        "accounts/user/",
        "accounts/user/?role=staff&is_active__exact=1&q=example",
        "accounts/user/add/",
        "tokens/refreshtoken/",
        "logins/loginattempt/",
        "apikeys/apikey/?state=live",
    ],
)
def test_admin_screens_render(admin_client, user, path):
    token_pair_issue(user=user)
    api_key_create(user=user, name="ci", scopes=["orders:read"])
    LoginAttempt.objects.create(user=user, email=user.email, outcome=Outcome.SUCCEEDED)
    assert admin_client.get(f"{ADMIN}{path}").status_code == 200


def test_user_change_page_renders(admin_client, user):
    assert admin_client.get(f"{ADMIN}accounts/user/{user.pk}/change/").status_code == 200


def test_deactivate_action_goes_through_the_service(admin_client, user, captured_events):
    response = admin_client.post(
        f"{ADMIN}accounts/user/", {"action": "deactivate", "_selected_action": [str(user.pk)]}
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert not user.is_active
    captured_events.assert_published("identity.user.deactivated", user_id=str(user.pk))


def test_unlock_action(admin_client, user):
    for _ in range(5):
        lockout.attempt_begin(email=user.email, ip=None).failed()
    assert lockout.locked_until(user.email, None) is not None
    assert lockout.recent_failures(user.email) == 5
    admin_client.post(f"{ADMIN}accounts/user/", {"action": "unlock", "_selected_action": [str(user.pk)]})
    assert lockout.locked_until(user.email, None) is None
    assert lockout.recent_failures(user.email) == 0


def test_add_user_through_the_admin_publishes_registered(admin_client, captured_events):
    response = admin_client.post(
        f"{ADMIN}accounts/user/add/",
        {
            "email": "New@Example.com",
            "first_name": "New",
            "last_name": "Person",
            "roles": ["vendor"],
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    assert response.status_code == 302, response.content
    created = User.objects.get(email="new@example.com")
    assert created.roles == ["vendor"] and created.check_password(PASSWORD)
    captured_events.assert_published("identity.user.registered", user_id=str(created.pk))


def change_form(user: User, **overrides) -> dict:
    data = {
        "first_name": user.first_name,
        "last_name": user.last_name,
        "roles": user.roles,
        "is_active": "on" if user.is_active else "",
        "email_verified": "on" if user.email_verified else "",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value != ""}


def test_changing_roles_in_the_admin_publishes_an_update(admin_client, user, captured_events):
    response = admin_client.post(
        f"{ADMIN}accounts/user/{user.pk}/change/", change_form(user, roles=["customer", "vendor"])
    )
    assert response.status_code == 302, response.content
    user.refresh_from_db()
    assert user.roles == ["customer", "vendor"]
    captured_events.assert_published("identity.user.updated", changed=["roles"])


def test_staff_cannot_grant_admin_in_the_admin_either(client, staff, user, captured_events):
    staff.user_permissions.add(*Permission.objects.filter(codename__in=["view_user", "change_user"]))
    client.force_login(staff)
    response = client.post(f"{ADMIN}accounts/user/{user.pk}/change/", change_form(user, roles=["admin"]))
    assert response.status_code == 200 and b"Only an admin" in response.content
    user.refresh_from_db()
    assert user.roles == ["customer"]
    captured_events.assert_nothing_published()


def test_setting_a_password_in_the_admin_signs_the_user_out(admin_client, user, captured_events):
    token_pair_issue(user=user)
    new = "admin-Chosen-passphrase-3"
    response = admin_client.post(
        f"{ADMIN}accounts/user/{user.pk}/password/", {"password1": new, "password2": new}
    )
    assert response.status_code == 302, response.content
    user.refresh_from_db()
    assert user.check_password(new)
    captured_events.assert_published("identity.user.tokens_revoked", reason="password_changed")


def test_revoking_api_keys_from_the_admin_publishes(admin_client, captured_events):
    api_key, _ = api_key_create(user=UserFactory(), name="leaked", scopes=["account:read"])
    admin_client.post(f"{ADMIN}apikeys/apikey/", {"action": "revoke", "_selected_action": [str(api_key.pk)]})
    api_key.refresh_from_db()
    assert api_key.revoked_at is not None
    captured_events.assert_published("identity.api_key.revoked", prefix=api_key.prefix)


def test_the_admin_never_shows_a_key_hash(admin_client, user):
    api_key, _ = api_key_create(user=user, name="ci", scopes=["account:read"])
    page = admin_client.get(f"{ADMIN}apikeys/apikey/{api_key.pk}/change/")
    assert page.status_code == 200 and api_key.secret_hash.encode() not in page.content
