"""Brute-force protection: sign-in attempts counted per account and per IP in Redis.

- Per account (keyed by a hash of the normalized email, so unknown emails behave exactly
  like known ones): ``LOCKOUT_THRESHOLD`` failures within ``FAILURE_WINDOW_SECONDS`` lock
  the account for ``LOCKOUT_SECONDS``; a successful sign-in resets the count; staff unlock.
- Per IP: more than ``IP_MAX_FAILURES`` failures in a fixed ``IP_WINDOW_SECONDS`` window
  throttle every sign-in from that address until the window ends.

An attempt is *reserved* before any password is checked (:func:`attempt_begin`): the IP's
and the account's counters are incremented first (Redis INCR, atomic), and an attempt whose
number is above a limit is refused without a password check. So N parallel guesses get at
most the limit's worth of password checks, not N. A reservation then ends as a failure (it
stays counted; the one that reaches the threshold locks the account), as a success (the
account's count and lock are cleared and the IP's slot is handed back: only failures count
against an address) or not at all (an unexpected error: it stays counted, which errs on the
safe side until the window ends).

Both limits answer 429 with ``Retry-After``. Counters are an optimisation of safety, not of
correctness: if Redis is unreachable, sign-in keeps working (fail open) and says so in the log.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache

from identity.accounts.models import normalize_email
from identity.logins.errors import LoginErrorCode
from servicekit.envelope.errors import ApplicationError

logger = logging.getLogger("identity.lockout")
T = TypeVar("T")

# Epoch seconds; the IP windows, lock ends and Retry-After values all read this clock (tests
# replace it to put every attempt of a test in one known window).
clock: Callable[[], float] = time.time


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
    return max(1, math.ceil(until - (clock() if now is None else now)))


def rate_limited(retry_after: int) -> ApplicationError:
    return ApplicationError(
        "Too many failed sign-in attempts from this address; try again later.",
        code=LoginErrorCode.RATE_LIMITED,
        status_code=429,
        details={"retry_after": retry_after},
        headers={"Retry-After": str(retry_after)},
    )


def account_locked(retry_after: int) -> ApplicationError:
    return ApplicationError(
        "This account is temporarily locked after too many failed sign-in attempts.",
        code=LoginErrorCode.ACCOUNT_LOCKED,
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


def locked_until(email: str, now: float | None = None) -> float | None:
    """When the account's lock ends (epoch seconds), or None if it is not locked."""
    now = clock() if now is None else now
    value = _fail_open(lambda: cache.get(_lock_key(email)), None)
    return float(value) if value and float(value) > now else None


def _increment(key: str, timeout: float) -> int:
    """INCR: each concurrent caller gets a number of its own."""
    cache.add(key, 0, timeout=timeout)  # starts the window on the first attempt only
    try:
        return cache.incr(key)
    except ValueError:  # expired or cleared between add and incr: a new window
        cache.set(key, 1, timeout=timeout)
        return 1


def _release(key: str) -> None:
    """Hand back a reserved slot (DECR), unless its window is already gone."""
    with contextlib.suppress(ValueError):
        cache.decr(key)


@dataclass
class Attempt:
    """One sign-in attempt holding a reserved slot in the counters (see the module docstring)."""

    email: str
    # The IP window counter this attempt holds a slot in (None: no IP, or Redis down).
    ip_key: str | None = None
    # This attempt's number among the account's counted attempts (None: Redis down).
    account_number: int | None = None

    def failed(self) -> float | None:
        """The password was wrong: the reservation stays counted. Returns when the lock ends if
        this failure locked the account."""
        number = self.account_number
        if number is None or number < _conf("LOCKOUT_THRESHOLD"):
            return None
        until = clock() + _conf("LOCKOUT_SECONDS")
        # The lock first, then the count: an attempt reserved in between sees the lock.
        _fail_open(lambda: cache.set(_lock_key(self.email), until, timeout=_conf("LOCKOUT_SECONDS")), None)
        _fail_open(lambda: cache.delete(_failures_key(self.email)), None)
        return until

    def succeeded(self) -> None:
        """The password was right: the account starts afresh and the address gets its slot back."""
        reset(email=self.email)
        self._release_ip()

    def _release_ip(self) -> None:
        if self.ip_key is not None:
            key, self.ip_key = self.ip_key, None
            _fail_open(lambda: _release(key), None)


def attempt_begin(*, email: str, ip: str | None) -> Attempt:
    """Reserve an attempt before any password is checked, or raise ``rate_limited`` /
    ``account_locked`` (429 with Retry-After)."""
    now = clock()
    # A locked account is refused without even counting the attempt.
    until = locked_until(email, now)
    if until is not None:
        raise account_locked(seconds_until(until, now))

    attempt = Attempt(email=email)
    if ip:
        index, window_end = _ip_window(now)
        key = _ip_key(ip, index)
        number = _fail_open(lambda: _increment(key, window_end - now + 1), None)
        if number is not None and number > _conf("IP_MAX_FAILURES"):
            _fail_open(lambda: _release(key), None)  # keeps the count exact: failures + in flight
            raise rate_limited(seconds_until(window_end, now))
        attempt.ip_key = key if number is not None else None

    attempt.account_number = _fail_open(
        lambda: _increment(_failures_key(email), _conf("FAILURE_WINDOW_SECONDS")), None
    )
    over = attempt.account_number is not None and attempt.account_number > _conf("LOCKOUT_THRESHOLD")
    # Looked at again after the increment: the failure that locks sets the lock before it
    # clears the count, so an increment that started a fresh count still sees the lock.
    until = locked_until(email, now)
    if over or until is not None:
        # Refused before any password check: not a failure of the address. (The account count
        # it may have restarted stays: a few extra counted attempts err on the safe side.)
        attempt._release_ip()
        # Over the threshold without a lock yet: earlier attempts are still being checked and
        # the one reaching the threshold is about to lock the account for LOCKOUT_SECONDS.
        raise account_locked(
            seconds_until(until if until is not None else now + _conf("LOCKOUT_SECONDS"), now)
        )
    return attempt


def reset(*, email: str) -> None:
    """Forget the account's failures and lock (a successful sign-in, a staff unlock)."""
    _fail_open(lambda: cache.delete_many([_failures_key(email), _lock_key(email)]), None)
