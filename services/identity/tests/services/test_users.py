"""Profile updates and staff changes: roles, activation, the rules around them."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from identity.access import services as access
from identity.accounts import services
from identity.apikeys.services import api_key_create
from identity.tokens.models import RefreshToken
from identity.tokens.services import token_pair_issue
from servicekit.envelope.errors import ApplicationError
from tests.factories import AdminFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_profile_update_changes_names_only(user, captured_events):
    services.user_profile_update(user=user, first_name="Grace")
    user.refresh_from_db()
    assert user.first_name == "Grace"
    captured_events.assert_published("identity.user.updated", changed=["first_name"])
    with pytest.raises(ValidationError) as excinfo:
        services.user_profile_update(user=user, roles=["admin"])
    assert "roles" in excinfo.value.message_dict


def test_an_update_that_changes_nothing_publishes_nothing(user, captured_events):
    services.user_profile_update(user=user, first_name=user.first_name)
    captured_events.assert_nothing_published()


def test_staff_change_roles_in_canonical_order(user, staff, captured_events):
    updated = access.user_roles_set(user=user, actor=staff, roles=["vendor", "customer", "vendor"])
    assert updated.roles == ["customer", "vendor"]
    captured_events.assert_published("identity.user.updated", changed=["roles"], roles=["customer", "vendor"])


def test_deactivation_revokes_sessions_and_tells_the_other_services(user, staff, captured_events):
    token_pair_issue(user=user)
    token_pair_issue(user=user)
    api_key, _ = api_key_create(user=user, name="ci", scopes=["account:read"])
    access.user_deactivate(user=user, actor=staff)
    user.refresh_from_db()
    assert not user.is_active
    assert not RefreshToken.objects.filter(user=user, revoked_at__isnull=True).exists()
    revoked = captured_events.assert_published("identity.user.tokens_revoked", user_id=str(user.pk))
    assert revoked.data["reason"] == "deactivated" and revoked.data["revoked_count"] == 2
    captured_events.assert_published("identity.user.deactivated", api_key_prefixes=[api_key.prefix])
    captured_events.assert_published("identity.user.updated", changed=["is_active"])


def test_activation_publishes_an_update_only(staff, captured_events):
    user = UserFactory(is_active=False)
    access.user_activate(user=user, actor=staff)
    assert user.is_active
    assert captured_events.types == ["identity.user.updated"]


def test_non_staff_cannot_change_anyone(user):
    other = UserFactory()
    with pytest.raises(ApplicationError) as excinfo:
        access.user_deactivate(user=other, actor=user)
    assert excinfo.value.status_code == 403


def test_nobody_changes_their_own_roles_or_deactivates_themselves(staff):
    with pytest.raises(ApplicationError):
        access.user_roles_set(user=staff, actor=staff, roles=["customer"])
    with pytest.raises(ApplicationError):
        access.user_deactivate(user=staff, actor=staff)


def test_only_admins_grant_the_admin_role_or_touch_admins(user, staff, captured_events):
    admin = AdminFactory()
    with pytest.raises(ApplicationError) as excinfo:
        access.user_roles_set(user=user, actor=staff, roles=["admin"])
    assert "admin" in excinfo.value.message
    with pytest.raises(ApplicationError):
        access.user_deactivate(user=admin, actor=staff)
    captured_events.assert_nothing_published()
    access.user_roles_set(user=user, actor=admin, roles=["staff", "admin"])
    assert user.roles == ["staff", "admin"]


def test_staff_may_manage_other_staff(staff):
    other = StaffFactory()
    access.user_roles_set(user=other, actor=staff, roles=["customer"])
    assert other.roles == ["customer"] and not other.is_staff
