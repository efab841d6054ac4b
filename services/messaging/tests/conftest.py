from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from messaging.testing.fake_waha import FakeWaha

RECIPIENT = "+34600000001"  # a valid Spanish mobile number


@pytest.fixture
def messaging_conf(settings) -> Callable[..., dict[str, Any]]:
    """``messaging_conf(KEY=value, …)`` overrides keys of ``settings.MESSAGING`` for one test."""

    def configure(**overrides: Any) -> dict[str, Any]:
        settings.MESSAGING = {**settings.MESSAGING, **overrides}
        return settings.MESSAGING

    return configure


@pytest.fixture
def user_id() -> uuid.UUID:
    return uuid.uuid4()


@pytest.fixture
def fake_waha(messaging_conf) -> Iterator[FakeWaha]:
    """A fake WAHA server, and the service configured to use it (short timeouts, quick retries)."""
    with FakeWaha(api_key="test-api-key") as waha:
        messaging_conf(
            PROVIDER="waha",
            WAHA_BASE_URL=waha.url,
            WAHA_API_KEY="test-api-key",
            WAHA_TIMEOUT_SECONDS=0.5,
            WAHA_RETRIES=2,
            WAHA_RETRY_BACKOFF_SECONDS=0.01,
        )
        yield waha


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    """Run what waits for the commit (Celery tasks, eager in tests) at the end of the block."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def eager_retries(monkeypatch):
    """Eager tasks retry in-process (Celery re-runs them at once) instead of raising ``Retry``
    to the caller; a task's own exceptions are then kept in its result, not raised."""
    from messaging.celery import app

    monkeypatch.setitem(app.conf, "task_eager_propagates", False)
