"""identity's fixtures.

identity's own signing key is a throwaway key generated once per run. identity's endpoints
verify tokens against that key ring in-process; the servicekit plugin's JWKS server (which
servicekit.auth, the verifying side of every other service, reads over real HTTP) publishes it
next to the plugin's test keys, so tests can check that tokens identity issues are accepted
elsewhere exactly as they will be by every other service.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from identity.accounts.models import User
from identity.logins import lockout
from identity.tokens.keys import (
    current_keyring,
    generate_private_key,
    keyring_cache,
    private_pem,
    write_atomically,
)
from identity.tokens.signing import access_token_sign
from tests.factories import AdminFactory, StaffFactory, UserFactory


@pytest.fixture(scope="session")
def signing_key_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("keys") / "jwt-signing.pem"
    write_atomically(path, private_pem(generate_private_key()))
    return path


def signing_keys_conf(key_file: Path) -> dict:
    return {
        "PRIVATE_KEY": None,
        "PRIVATE_KEY_FILE": str(key_file),
        "PREVIOUS_PUBLIC_KEYS": None,
        "PREVIOUS_PUBLIC_KEYS_FILE": None,
        "RELOAD_SECONDS": 0,  # tests change key files and expect to see it at once
    }


@pytest.fixture(autouse=True)
def identity_test_settings(settings, signing_key_file: Path, servicekit_auth, jwks_server):
    """Per test: identity's keys published to the JWKS server, and a private cache namespace
    (lockout counters and cooldowns live in the shared Redis; never FLUSHDB it)."""
    settings.IDENTITY = {**settings.IDENTITY, "SIGNING_KEYS": signing_keys_conf(signing_key_file)}
    settings.CACHES = {
        "default": {**settings.CACHES["default"], "KEY_PREFIX": f"identity-test-{uuid.uuid4().hex}"}
    }
    keyring_cache.clear()
    publish_identity_keys(jwks_server)
    yield
    keyring_cache.clear()


def publish_identity_keys(jwks_server) -> None:
    jwks_server.publish(*current_keyring().jwks()["keys"])


@pytest.fixture
def user(db) -> User:
    return UserFactory()


@pytest.fixture
def staff(db) -> User:
    return StaffFactory()


@pytest.fixture
def admin_user(db) -> User:
    return AdminFactory()


@pytest.fixture
def client_of() -> Callable[[User], APIClient]:
    """An API client sending a real access token identity issued for ``user``."""

    def make(user: User) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {access_token_sign(user).token}")
        return client

    return make


@pytest.fixture
def user_client(client_of, user) -> APIClient:
    return client_of(user)


@pytest.fixture
def staff_user_client(client_of, staff) -> APIClient:
    return client_of(staff)


class Clock:
    """A clock that stands still until told to move."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def lockout_clock(monkeypatch, settings) -> Clock:
    """The brute-force counters' clock, stopped one second into an IP window: every attempt of
    the test falls in that one window (on the real clock a test may straddle a window boundary
    and split its failures across two counters). ``advance()`` moves it."""
    length = settings.IDENTITY["IP_WINDOW_SECONDS"]
    clock = Clock(time.time() // length * length + 1)
    monkeypatch.setattr(lockout, "clock", clock)
    return clock


class ShiftedClock:
    """``django.utils.timezone.now`` (identity's clock for token rows, token claims, one-time
    links) running ``offset`` away from the real time. Verifying a JWT (PyJWT) keeps the real
    clock, so a token issued in the shifted past is really expired."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.offset = timedelta(0)
        real_now = timezone.now
        monkeypatch.setattr(timezone, "now", lambda: real_now() + self.offset)

    def shift(self, seconds: float) -> None:
        self.offset += timedelta(seconds=seconds)


@pytest.fixture
def django_clock(monkeypatch) -> ShiftedClock:
    return ShiftedClock(monkeypatch)
