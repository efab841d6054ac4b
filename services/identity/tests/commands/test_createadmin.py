"""manage.py createadmin (what `make createadmin` runs)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from identity.accounts.models import User
from identity.tokens.models import RefreshToken
from identity.tokens.services import token_pair_issue
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def createadmin(email: str, password: str) -> str:
    out = StringIO()
    call_command("createadmin", "--email", email, "--password", password, stdout=out)
    return out.getvalue()


def test_creates_an_active_verified_admin(captured_events):
    output = createadmin("Root@Example.com", PASSWORD)
    user = User.objects.get()
    assert output.startswith("created admin root@example.com")
    assert user.roles == ["admin"] and user.is_staff and user.is_superuser
    assert user.is_active and user.email_verified and user.check_password(PASSWORD)
    event = captured_events.assert_published("identity.user.registered", user_id=str(user.pk))
    assert event.data["verification_url"] is None  # already verified: nothing for messaging to send


def test_is_idempotent(captured_events):
    createadmin("root@example.com", PASSWORD)
    output = createadmin("root@example.com", PASSWORD)
    assert output.startswith("updated admin") and User.objects.count() == 1
    assert captured_events.types == ["identity.user.registered"]


def test_promotes_reactivates_and_resets_the_password_of_an_existing_user():
    user = UserFactory(email="ops@example.com", is_active=False, email_verified=False)
    token_pair_issue(user=user)
    createadmin("ops@example.com", "brand-New-passphrase-1")
    user.refresh_from_db()
    assert user.roles == ["customer", "admin"] and user.is_active and user.email_verified
    assert user.check_password("brand-New-passphrase-1")
    assert not RefreshToken.objects.filter(user=user, revoked_at__isnull=True).exists()


def test_a_weak_password_is_a_command_error():
    with pytest.raises(CommandError, match="too short"):
        createadmin("root@example.com", "abc")
    assert not User.objects.exists()
