"""Brute-force protection: failed sign-ins counted per account and per IP in Redis.

- Per account (keyed by a hash of the normalized email, so unknown emails behave exactly
  like known ones): ``LOCKOUT_THRESHOLD`` failures within ``FAILURE_WINDOW_SECONDS`` lock
  the account for ``LOCKOUT_SECONDS``; a successful sign-in resets the count; staff unlock.
- Per IP: more than ``IP_MAX_FAILURES`` failures in a fixed ``IP_WINDOW_SECONDS`` window
  throttle every sign-in from that address until the window ends.

Both answer 429 with ``Retry-After``. Counters are an optimisation of safety, not of
correctness: if Redis is unreachable, sign-in keeps working (fail open) and says so in the log.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache

from identity.accounts.models import normalize_email
from servicekit.envelope.errors import ApplicationError

logger = logging.getLogger("identity.lockout")
T = TypeVar("T")


def _conf(name: str) -> Any:
    return settings.IDENTITY[name]


def _account_id(email: str) -> str:
    return hashlib.sha256(normalize_email(email).encode()).hexdigest()


def _failures_key(email: str) -> str:
    return f"login:failures:account:{_account_id(email)}"


def _lock_key(email: str) -> str:
    return f"login:locked:account:{_account_id(email)}"


def _ip_window(now: float) -> tuple[int, float]:
    """The fixed window ``now`` falls in: its index and when it ends."""
    length = _conf("IP_WINDOW_SECONDS")
    index = int(now // length)
    return index, (index + 1) * length


def _ip_key(ip: str, window_index: int) -> str:
    return f"login:failures:ip:{ip}:{window_index}"


def seconds_until(until: float, now: float | None = None) -> int:
    """A Retry-After value: whole seconds, at least one."""
    return max(1, math.ceil(until - (time.time() if now is None else now)))


def rate_limited(retry_after: int) -> ApplicationError:
    return ApplicationError(
        "Too many failed sign-in attempts from this address; try again later.",
        code="rate_limited",
        status_code=429,
        details={"retry_after": retry_after},
        headers={"Retry-After": str(retry_after)},
    )


def account_locked(retry_after: int) -> ApplicationError:
    return ApplicationError(
        "This account is temporarily locked after too many failed sign-in attempts.",
        code="account_locked",
        status_code=429,
        details={"retry_after": retry_after},
        headers={"Retry-After": str(retry_after)},
    )


def _fail_open(operation: Callable[[], T], default: T) -> T:
    try:
        return operation()
    except Exception as exc:  # Redis down: keep sign-in available, loudly
        logger.warning("login throttling skipped, cache unavailable: %s", exc)
        return default


def locked_until(email: str) -> float | None:
    """When the account's lock ends (epoch seconds), or None if it is not locked."""
    value = _fail_open(lambda: cache.get(_lock_key(email)), None)
    return float(value) if value and float(value) > time.time() else None


def check_allowed(*, email: str, ip: str | None) -> None:
    """Raise ``rate_limited`` or ``account_locked`` before any password is checked."""
    now = time.time()
    if ip:
        index, window_end = _ip_window(now)
        failures = _fail_open(lambda: cache.get(_ip_key(ip, index), 0), 0)
        if failures >= _conf("IP_MAX_FAILURES"):
            raise rate_limited(seconds_until(window_end, now))
    until = locked_until(email)
    if until is not None:
        raise account_locked(seconds_until(until, now))


def _increment(key: str, timeout: float) -> int:
    cache.add(key, 0, timeout=timeout)  # starts the window on the first failure only
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=timeout)
        return 1


def record_failure(*, email: str, ip: str | None) -> float | None:
    """Count a failure; returns when the lock ends if this failure locked the account."""
    now = time.time()
    if ip:
        index, window_end = _ip_window(now)
        _fail_open(lambda: _increment(_ip_key(ip, index), window_end - now + 1), 0)
    failures = _fail_open(lambda: _increment(_failures_key(email), _conf("FAILURE_WINDOW_SECONDS")), 0)
    if failures < _conf("LOCKOUT_THRESHOLD"):
        return None
    until = now + _conf("LOCKOUT_SECONDS")
    _fail_open(lambda: cache.set(_lock_key(email), until, timeout=_conf("LOCKOUT_SECONDS")), None)
    _fail_open(lambda: cache.delete(_failures_key(email)), None)
    return until


def reset(*, email: str) -> None:
    """Forget the account's failures and lock (a successful sign-in, a staff unlock)."""
    _fail_open(lambda: cache.delete_many([_failures_key(email), _lock_key(email)]), None)
