"""Password change and the enumeration-safe reset."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from identity.access import services as access
from identity.accounts import services
from identity.accounts.models import OneTimeToken
from identity.logins import lockout
from identity.tokens.models import RefreshToken
from identity.tokens.services import token_pair_issue
from servicekit.envelope.errors import ApplicationError
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "an0ther-Long-passphrase"


def reset_token(captured_events) -> str:
    return captured_events.of_type("identity.user.password_reset_requested")[-1].data["reset_token"]


def test_wrong_current_passwords_count_towards_the_lockout(user, settings):
    settings.IDENTITY = {**settings.IDENTITY, "LOCKOUT_THRESHOLD": 2}
    for _ in range(2):
        with pytest.raises(ValidationError):
            access.user_password_change(user=user, current_password="guess", new_password=NEW_PASSWORD)
    with pytest.raises(ApplicationError) as excinfo:
        access.user_password_change(user=user, current_password=PASSWORD, new_password=NEW_PASSWORD)
    assert excinfo.value.code == "account_locked"


def test_reset_request_for_an_unknown_or_inactive_email_publishes_nothing(captured_events):
    UserFactory(email="gone@example.com", is_active=False)
    services.password_reset_request(email="nobody@example.com")
    services.password_reset_request(email="gone@example.com")
    captured_events.assert_nothing_published()
    assert not OneTimeToken.objects.exists()


def test_reset_request_sends_a_one_time_link_through_an_event(user, captured_events):
    services.password_reset_request(email=user.email.upper())
    event = captured_events.assert_published("identity.user.password_reset_requested", user_id=str(user.pk))
    assert event.data["reset_url"].endswith(event.data["reset_token"])
    assert event.data["email"] == user.email


def test_reset_confirm_sets_the_password_once_signs_out_and_unlocks(user, captured_events):
    token_pair_issue(user=user)
    for _ in range(3):
        lockout.attempt_begin(email=user.email, ip=None).failed()
    services.password_reset_request(email=user.email)
    token = reset_token(captured_events)
    access.password_reset_confirm(token=token, new_password=NEW_PASSWORD)
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert not RefreshToken.objects.filter(user=user, revoked_at__isnull=True).exists()
    captured_events.assert_published("identity.user.tokens_revoked", reason="password_reset")
    with pytest.raises(ApplicationError) as excinfo:
        access.password_reset_confirm(token=token, new_password="yet-another-Passphrase-9")
    assert excinfo.value.code == "invalid_token"


def test_reset_confirm_refuses_an_expired_link(user, captured_events):
    services.password_reset_request(email=user.email)
    OneTimeToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(ApplicationError):
        access.password_reset_confirm(token=reset_token(captured_events), new_password=NEW_PASSWORD)
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_a_weak_new_password_leaves_the_link_usable(user, captured_events):
    services.password_reset_request(email=user.email)
    token = reset_token(captured_events)
    with pytest.raises(ValidationError) as excinfo:
        access.password_reset_confirm(token=token, new_password="123")
    assert "new_password" in excinfo.value.message_dict
    access.password_reset_confirm(token=token, new_password=NEW_PASSWORD)


def test_a_verification_token_is_not_a_reset_token(captured_events):
    services.user_create(email="ada@example.com", password=PASSWORD)
    token = captured_events.of_type("identity.user.registered")[0].data["verification_token"]
    with pytest.raises(ApplicationError):
        access.password_reset_confirm(token=token, new_password=NEW_PASSWORD)
