"""API keys: created once, stored hashed, checked fast, revoked for good."""

from __future__ import annotations

import importlib
from datetime import timedelta

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from identity.apikeys import hashing
from identity.apikeys.models import ApiKey
from identity.apikeys.services import api_key_authenticate, api_key_create, api_key_revoke

pytestmark = pytest.mark.django_db


def test_create_returns_the_key_once_and_stores_only_a_keyed_hash(user, captured_events):
    api_key, raw_key = api_key_create(
        user=user, name="ci", scopes=["orders:read", "catalog:read", "orders:read"]
    )
    prefix, secret = raw_key.split(".")
    assert prefix == api_key.prefix and prefix.startswith("ik_")
    assert len(secret) == 43
    stored = ApiKey.objects.get(pk=api_key.pk)
    assert secret not in stored.secret_hash and raw_key != stored.secret_hash
    assert stored.secret_hash == hashing.key_hash(raw_key)
    assert stored.scopes == ["catalog:read", "orders:read"]
    event = captured_events.assert_published("identity.api_key.created", prefix=prefix, user_id=str(user.pk))
    assert secret not in str(event.data)


def test_scopes_are_limited_by_the_owners_roles(user):
    with pytest.raises(ValidationError) as excinfo:
        api_key_create(user=user, name="ci", scopes=["orders:read", "analytics:read", "users:admin"])
    assert excinfo.value.message_dict == {
        "scopes": ["Not a scope your account may grant: analytics:read, users:admin."]
    }
    assert not ApiKey.objects.exists()


@pytest.mark.parametrize(
    "scopes, message",
    [
        ([], "Choose at least one scope: a key may call only what its scopes name."),
        (["orders:read", "cart:read", "admin"], "Not a scope of the platform: admin, cart:read."),
    ],
)
def test_a_key_needs_scopes_the_platform_defines(admin_user, scopes, message):
    with pytest.raises(ValidationError) as excinfo:
        api_key_create(user=admin_user, name="ci", scopes=scopes)
    assert excinfo.value.message_dict == {"scopes": [message]}
    assert not ApiKey.objects.exists()


def test_keys_made_before_scopes_were_enforced_get_their_contexts_scope_never_a_wider_one(user):
    migration = importlib.import_module("identity.apikeys.migrations.0002_platform_scopes")
    old = ApiKey.objects.create(
        user=user,
        name="old",
        prefix="ik_old",
        secret_hash="x",
        scopes=["cart:write", "payments:read", "admin"],
    )
    staff = ApiKey.objects.create(
        user=user, name="staff", prefix="ik_staff", secret_hash="y", scopes=["users:read", "users:write"]
    )
    current = ApiKey.objects.create(
        user=user, name="new", prefix="ik_new", secret_hash="z", scopes=["catalog:read"]
    )
    migration.rename_scopes(apps, None)
    old.refresh_from_db(), staff.refresh_from_db(), current.refresh_from_db()
    assert old.scopes == ["orders:read", "orders:write"]
    assert staff.scopes == ["users:admin"]  # users:read alone would have become nothing
    assert current.scopes == ["catalog:read"]


def test_the_hash_is_keyed(user, settings):
    _, raw_key = api_key_create(user=user, name="ci", scopes=["account:read"])
    before = hashing.key_hash(raw_key)
    settings.IDENTITY = {**settings.IDENTITY, "API_KEY_HASH_KEY": "another-key"}
    assert hashing.key_hash(raw_key) != before


def test_an_expiry_in_the_past_is_refused(user):
    with pytest.raises(ValidationError):
        api_key_create(
            user=user, name="ci", scopes=["account:read"], expires_at=timezone.now() - timedelta(minutes=1)
        )


def test_authenticate_accepts_the_key_and_nothing_like_it(user):
    api_key, raw_key = api_key_create(user=user, name="ci", scopes=["account:read"])
    assert api_key_authenticate(raw_key=raw_key) == api_key
    prefix, secret = raw_key.split(".")
    assert api_key_authenticate(raw_key=f"{prefix}.{secret[:-1]}x") is None
    assert api_key_authenticate(raw_key=prefix) is None
    assert api_key_authenticate(raw_key="ik_0000000000000000." + secret) is None
    assert api_key_authenticate(raw_key="") is None


def test_revoked_expired_and_deactivated_keys_are_refused(user):
    revoked, revoked_raw = api_key_create(user=user, name="a", scopes=["account:read"])
    api_key_revoke(api_key=revoked)
    expiring, expiring_raw = api_key_create(
        user=user, name="b", scopes=["account:read"], expires_at=timezone.now() + timedelta(hours=1)
    )
    ApiKey.objects.filter(pk=expiring.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    _, live_raw = api_key_create(user=user, name="c", scopes=["account:read"])
    assert api_key_authenticate(raw_key=revoked_raw) is None
    assert api_key_authenticate(raw_key=expiring_raw) is None
    user.is_active = False
    user.save()
    assert api_key_authenticate(raw_key=live_raw) is None


def test_last_used_is_written_at_most_once_per_window(user):
    api_key, raw_key = api_key_create(user=user, name="ci", scopes=["account:read"])
    api_key_authenticate(raw_key=raw_key)
    first_use = ApiKey.objects.get(pk=api_key.pk).last_used_at
    assert first_use is not None
    with CaptureQueriesContext(connection) as queries:
        api_key_authenticate(raw_key=raw_key)
    assert len(queries) == 1 and queries[0]["sql"].lstrip().upper().startswith("SELECT")
    assert ApiKey.objects.get(pk=api_key.pk).last_used_at == first_use
    ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=first_use - timedelta(minutes=2))
    api_key_authenticate(raw_key=raw_key)
    assert ApiKey.objects.get(pk=api_key.pk).last_used_at > first_use


def test_revoke_is_idempotent_and_publishes_once(user, captured_events):
    api_key, _ = api_key_create(user=user, name="ci", scopes=["account:read"])
    api_key_revoke(api_key=api_key)
    api_key_revoke(api_key=api_key)
    assert len(captured_events.of_type("identity.api_key.revoked")) == 1
    captured_events.assert_published("identity.api_key.revoked", prefix=api_key.prefix)
