"""login_authenticate: outcomes, history and the logged_in event."""

from __future__ import annotations

import pytest

from identity.logins.models import LoginAttempt, Outcome
from identity.logins.services import LoginContext, login_authenticate
from servicekit.envelope.errors import ApplicationError
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db
CONTEXT = LoginContext(ip="203.0.113.7", user_agent="Mozilla/5.0 (pytest)", channel="api")


def test_success_updates_last_login_records_and_publishes(user, captured_events):
    signed_in = login_authenticate(email=user.email.upper(), password=PASSWORD, context=CONTEXT)
    assert signed_in == user
    user.refresh_from_db()
    assert user.last_login is not None
    attempt = LoginAttempt.objects.get()
    assert (attempt.user, attempt.outcome, attempt.ip, attempt.user_agent, attempt.channel) == (
        user,
        Outcome.SUCCEEDED,
        "203.0.113.7",
        "Mozilla/5.0 (pytest)",
        "api",
    )
    event = captured_events.assert_published("identity.user.logged_in", user_id=str(user.pk))
    assert event.data["ip"] == "203.0.113.7" and event.data["channel"] == "api"


@pytest.mark.parametrize("email", ["nobody@example.com", "user-with-wrong-password"])
def test_failures_are_recorded_and_answer_the_same(user, email, captured_events):
    email = user.email if email == "user-with-wrong-password" else email
    with pytest.raises(ApplicationError) as excinfo:
        login_authenticate(email=email, password="wrong", context=CONTEXT)
    assert (excinfo.value.code, excinfo.value.status_code, excinfo.value.message) == (
        "invalid_credentials",
        401,
        "Email or password is incorrect.",
    )
    attempt = LoginAttempt.objects.get()
    assert attempt.outcome == Outcome.INVALID_CREDENTIALS and attempt.email == email
    captured_events.assert_nothing_published()


def test_a_deactivated_account_is_refused_after_the_password_check(captured_events):
    user = UserFactory(is_active=False)
    with pytest.raises(ApplicationError) as excinfo:
        login_authenticate(email=user.email, password=PASSWORD, context=CONTEXT)
    assert excinfo.value.code == "account_inactive"
    assert LoginAttempt.objects.get().outcome == Outcome.ACCOUNT_INACTIVE
    captured_events.assert_nothing_published()


def test_staff_only_sign_in_refuses_customers(user, staff):
    with pytest.raises(ApplicationError) as excinfo:
        login_authenticate(email=user.email, password=PASSWORD, context=CONTEXT, require_staff=True)
    assert excinfo.value.code == "not_staff"
    assert (
        login_authenticate(email=staff.email, password=PASSWORD, context=CONTEXT, require_staff=True) == staff
    )
