"""user_create, email verification and its resend."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from identity.accounts import services
from identity.accounts.models import OneTimeToken, User
from identity.accounts.onetime import token_hash
from servicekit.envelope.errors import ApplicationError, Conflict
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def token_from(url: str) -> str:
    return parse_qs(urlparse(url).query)["token"][0]


def test_user_create_makes_a_customer_with_a_lowercased_email_and_a_hashed_password(captured_events):
    user = services.user_create(email="  Ada@Example.COM ", password=PASSWORD, first_name="Ada")
    assert user.email == "ada@example.com"
    assert user.roles == ["customer"]
    assert user.is_active and not user.email_verified
    assert user.password != PASSWORD and user.check_password(PASSWORD)
    event = captured_events.assert_published("identity.user.registered", subject=str(user.pk))
    assert event.data["email"] == "ada@example.com"
    assert "password" not in event.data
    # The link carries a one-time token whose hash, not the token, is stored.
    token = token_from(event.data["verification_url"])
    assert token == event.data["verification_token"]
    stored = OneTimeToken.objects.get(user=user)
    assert stored.token_hash == token_hash(token) and stored.token_hash != token


def test_an_existing_email_in_any_case_is_a_conflict_with_no_event(captured_events):
    UserFactory(email="taken@example.com")
    with pytest.raises(Conflict) as excinfo:
        services.user_create(email="TAKEN@example.com", password=PASSWORD)
    assert excinfo.value.code == "email_taken"
    assert User.objects.filter(email="taken@example.com").count() == 1
    captured_events.assert_nothing_published()


@pytest.mark.parametrize("password", ["short1", "password123", "12345678901", "ada@example.com"])
def test_weak_passwords_are_refused_by_djangos_validators(password, captured_events):
    with pytest.raises(ValidationError) as excinfo:
        services.user_create(email="ada@example.com", password=password)
    assert "password" in excinfo.value.message_dict
    assert not User.objects.exists()
    captured_events.assert_nothing_published()


def test_unknown_roles_are_refused():
    with pytest.raises(ValidationError) as excinfo:
        services.user_create(email="ada@example.com", password=PASSWORD, roles=["root"])
    assert "roles" in excinfo.value.message_dict


def test_email_verify_marks_the_account_verified_once(captured_events):
    user = services.user_create(email="ada@example.com", password=PASSWORD)
    token = captured_events.of_type("identity.user.registered")[0].data["verification_token"]
    verified = services.email_verify(token=token)
    assert verified.pk == user.pk and verified.email_verified
    captured_events.assert_published(
        "identity.user.updated", user_id=str(user.pk), changed=["email_verified"]
    )
    with pytest.raises(ApplicationError) as excinfo:
        services.email_verify(token=token)  # single use
    assert excinfo.value.code == "invalid_token"


def test_an_expired_verification_link_is_refused(captured_events):
    user = services.user_create(email="ada@example.com", password=PASSWORD)
    token = captured_events.of_type("identity.user.registered")[0].data["verification_token"]
    OneTimeToken.objects.filter(user=user).update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(ApplicationError):
        services.email_verify(token=token)
    user.refresh_from_db()
    assert not user.email_verified


def test_resend_sends_a_new_link_and_the_old_one_stops_working(captured_events):
    services.user_create(email="ada@example.com", password=PASSWORD)
    old_token = captured_events.of_type("identity.user.registered")[0].data["verification_token"]
    services.email_verification_resend(email="ADA@example.com")
    event = captured_events.assert_published("identity.user.email_verification_requested")
    with pytest.raises(ApplicationError):
        services.email_verify(token=old_token)
    assert services.email_verify(token=event.data["verification_token"]).email_verified


def test_resend_is_silent_for_unknown_and_verified_accounts_and_during_the_cooldown(captured_events):
    UserFactory(email="verified@example.com", email_verified=True)
    services.user_create(email="new@example.com", password=PASSWORD)
    services.email_verification_resend(email="nobody@example.com")
    services.email_verification_resend(email="verified@example.com")
    services.email_verification_resend(email="new@example.com")
    services.email_verification_resend(email="new@example.com")  # within the cooldown
    assert captured_events.types == ["identity.user.registered", "identity.user.email_verification_requested"]
