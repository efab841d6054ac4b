"""Brute-force protection that an attacker cannot turn against the account's owner.

Sign-in attempts are counted in Redis at three levels (accounts keyed by a hash of the
normalized email, so unknown emails behave exactly like known ones):

- **The (account, client address) pair**: ``LOCKOUT_THRESHOLD`` failures within
  ``FAILURE_WINDOW_SECONDS`` lock that pair for ``LOCKOUT_SECONDS`` (``account_locked``). The
  address that guessed is shut out of the account; the owner, signing in from elsewhere, is not.
- **The account, from every address**: past ``ACCOUNT_FREE_FAILURES`` failures within the
  window, each further attempt waits a growing delay after the last failure (1 s, 2 s, 4 s …
  up to ``ACCOUNT_MAX_DELAY_SECONDS``), and only one attempt at a time is checked
  (``login_throttled``). Guessing from many addresses is slowed to a crawl, but the account is
  never locked: its owner waits seconds, not minutes.
- **The address, across accounts**: more than ``IP_MAX_FAILURES`` failures in a fixed
  ``IP_WINDOW_SECONDS`` window throttle every sign-in from it (``rate_limited``).

A successful sign-in clears its pair and the account's count; staff unlock (and a password
reset) clear everything of the account, every pair included.

An attempt is *reserved* before any password is checked (:func:`attempt_begin`): the address's
and the pair's counters are incremented first (Redis INCR, atomic) and an attempt whose number
is above a limit is refused without a password check; while the account is being slowed down,
one attempt claims the account's turn (Redis ADD) and the others are refused. So N parallel
guesses get at most the limits' worth of password checks, not N. A reservation then ends as a
failure (it stays counted; the one reaching the threshold locks the pair), as a success (counts
cleared, the address's slot handed back: only failures count against an address) or not at all
(an unexpected error: it stays counted, erring on the safe side until the window ends).

All refusals answer 429 with ``Retry-After``. Counters are an optimisation of safety, not of
correctness: if Redis is unreachable, sign-in keeps working (fail open) and says so in the log.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import math
import time
import uuid
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

# Epoch seconds; the IP windows, lock ends, delays and Retry-After values all read this clock
# (tests replace it to put every attempt of a test in one known window).
clock: Callable[[], float] = time.time

# How long an account's turn is held if its attempt never ends (an unexpected error): far longer
# than any password check, far shorter than a lock.
TURN_SECONDS = 30
NO_ADDRESS = "-"  # the pair's address when there is none (a password change)


def _conf(name: str) -> Any:
    return settings.IDENTITY[name]


def _account_id(email: str) -> str:
    return hashlib.sha256(normalize_email(email).encode()).hexdigest()


def _generation_key(account: str) -> str:
    return f"login:generation:{account}"


def _keys_lifetime() -> int:
    """No key of an account's generation outlives this (so neither may the generation)."""
    keys = ("LOCKOUT_SECONDS", "FAILURE_WINDOW_SECONDS", "ACCOUNT_MAX_DELAY_SECONDS")
    return max(TURN_SECONDS, *(_conf(name) for name in keys)) + 1


@dataclass(frozen=True)
class AccountKeys:
    """The account's Redis keys, under its current *generation*: a staff unlock starts a new one,
    which forgets every pair of the account at once (their addresses need not be known)."""

    scope: str  # "<account>:<generation>"

    @classmethod
    def of(cls, email: str) -> AccountKeys:
        account = _account_id(email)
        generation = cache.get(_generation_key(account)) or "0"
        return cls(f"{account}:{generation}")

    def pair_failures(self, ip: str | None) -> str:
        return f"login:failures:pair:{self.scope}:{ip or NO_ADDRESS}"

    def pair_lock(self, ip: str | None) -> str:
        return f"login:locked:pair:{self.scope}:{ip or NO_ADDRESS}"

    @property
    def failures(self) -> str:
        return f"login:failures:account:{self.scope}"

    @property
    def next_attempt(self) -> str:
        return f"login:next-attempt:account:{self.scope}"

    @property
    def turn(self) -> str:
        # Held by the one attempt being checked while the account is slowed down.
        return f"login:turn:account:{self.scope}"


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


def _too_many(message: str, code: LoginErrorCode, retry_after: int) -> ApplicationError:
    return ApplicationError(
        message,
        code=code,
        status_code=429,
        details={"retry_after": retry_after},
        headers={"Retry-After": str(retry_after)},
    )


def rate_limited(retry_after: int) -> ApplicationError:
    return _too_many(
        "Too many failed sign-in attempts from this address; try again later.",
        LoginErrorCode.RATE_LIMITED,
        retry_after,
    )


def account_locked(retry_after: int) -> ApplicationError:
    return _too_many(
        "Too many failed sign-in attempts on this account from this address; try again later.",
        LoginErrorCode.ACCOUNT_LOCKED,
        retry_after,
    )


def login_throttled(retry_after: int) -> ApplicationError:
    return _too_many(
        "Too many failed sign-in attempts on this account; wait a moment before trying again.",
        LoginErrorCode.LOGIN_THROTTLED,
        retry_after,
    )


def delay_after(failures: int) -> float:
    """How long the account waits after its ``failures``-th failure (0 while they are free)."""
    free = _conf("ACCOUNT_FREE_FAILURES")
    if failures < free:
        return 0.0
    return float(min(2 ** min(failures - free, 30), _conf("ACCOUNT_MAX_DELAY_SECONDS")))


def _fail_open(operation: Callable[[], T], default: T) -> T:
    try:
        return operation()
    except Exception as exc:  # Redis down: keep sign-in available, loudly
        logger.warning("login throttling skipped, cache unavailable: %s", exc)
        return default


def _until(key: str, now: float) -> float | None:
    """The moment stored at ``key`` if it is still ahead of ``now``."""
    value = _fail_open(lambda: cache.get(key), None)
    return float(value) if value and float(value) > now else None


def locked_until(email: str, ip: str | None, now: float | None = None) -> float | None:
    """When the lock of the (account, address) pair ends (epoch seconds), or None."""
    now = clock() if now is None else now
    keys = _fail_open(lambda: AccountKeys.of(email), None)
    return None if keys is None else _until(keys.pair_lock(ip), now)


def recent_failures(email: str) -> int:
    """The account's counted attempts in the current window, from every address."""
    return _fail_open(lambda: int(cache.get(AccountKeys.of(email).failures) or 0), 0)


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
    """One sign-in attempt holding reserved slots in the counters (see the module docstring)."""

    ip: str | None
    keys: AccountKeys | None = None  # None: Redis down
    # The IP window counter this attempt holds a slot in (None: no IP, or Redis down).
    ip_key: str | None = None
    # This attempt's number among the pair's and the account's counted attempts (None: not
    # reserved, or Redis down).
    pair_number: int | None = None
    account_number: int | None = None
    # Whether it holds the account's turn (the account is being slowed down).
    has_turn: bool = False

    def failed(self) -> float | None:
        """The password was wrong: the reservations stay counted and the account waits its
        delay. Returns when the pair's lock ends if this failure locked it."""
        keys = self.keys
        if keys is None:
            return None
        now = clock()
        delay = delay_after(self.account_number or 0)
        if delay:
            _fail_open(lambda: cache.set(keys.next_attempt, now + delay, timeout=math.ceil(delay) + 1), None)
        self._end_turn()  # after the delay is set: the next turn sees it
        if self.pair_number is None or self.pair_number < _conf("LOCKOUT_THRESHOLD"):
            return None
        until = now + _conf("LOCKOUT_SECONDS")
        # The lock first, then the count: an attempt reserved in between sees the lock.
        _fail_open(lambda: cache.set(keys.pair_lock(self.ip), until, timeout=_conf("LOCKOUT_SECONDS")), None)
        _fail_open(lambda: cache.delete(keys.pair_failures(self.ip)), None)
        return until

    def succeeded(self) -> None:
        """The password was right: the pair and the account start afresh (other addresses'
        locks stay) and the address gets its slot back."""
        keys = self.keys
        if keys is not None:
            stale = [keys.pair_failures(self.ip), keys.pair_lock(self.ip), keys.failures, keys.next_attempt]
            _fail_open(lambda: cache.delete_many(stale), None)
        self._end_turn()
        self._release_ip()

    def refuse(self, error: ApplicationError) -> ApplicationError:
        """Hand back every slot: an attempt refused before its password check counts for nothing
        (not even against its address)."""
        self.abandon()
        return error

    def abandon(self) -> None:
        """Hand back every slot of an attempt that never reached its password check (refused,
        or the database could not be reached): it counts for nothing, not even against its
        address, so an outage never locks anyone out."""
        self._end_turn()
        for key in (
            self.keys.failures if self.keys and self.account_number else None,
            self.keys.pair_failures(self.ip) if self.keys and self.pair_number else None,
            self.ip_key,
        ):
            if key is not None:
                _fail_open(lambda key=key: _release(key), None)
        self.account_number = self.pair_number = self.ip_key = None

    def _end_turn(self) -> None:
        if self.has_turn and self.keys is not None:
            self.has_turn = False
            _fail_open(lambda: cache.delete(self.keys.turn), None)

    def _release_ip(self) -> None:
        if self.ip_key is not None:
            key, self.ip_key = self.ip_key, None
            _fail_open(lambda: _release(key), None)


def attempt_begin(*, email: str, ip: str | None) -> Attempt:
    """Reserve an attempt before any password is checked, or raise ``account_locked`` /
    ``login_throttled`` / ``rate_limited`` (429 with Retry-After)."""
    now = clock()
    keys = _fail_open(lambda: AccountKeys.of(email), None)
    attempt = Attempt(ip=ip, keys=keys)
    if keys is None:
        return attempt

    # Refused without even counting: this address is locked out of the account, or the
    # account is waiting out its delay.
    until = _until(keys.pair_lock(ip), now)
    if until is not None:
        raise account_locked(seconds_until(until, now))
    until = _until(keys.next_attempt, now)
    if until is not None:
        raise login_throttled(seconds_until(until, now))

    if ip:
        index, window_end = _ip_window(now)
        key = _ip_key(ip, index)
        number = _fail_open(lambda: _increment(key, window_end - now + 1), None)
        if number is not None and number > _conf("IP_MAX_FAILURES"):
            _fail_open(lambda: _release(key), None)  # keeps the count exact: failures + in flight
            raise rate_limited(seconds_until(window_end, now))
        attempt.ip_key = key if number is not None else None

    window = _conf("FAILURE_WINDOW_SECONDS")
    attempt.pair_number = _fail_open(lambda: _increment(keys.pair_failures(ip), window), None)
    over = attempt.pair_number is not None and attempt.pair_number > _conf("LOCKOUT_THRESHOLD")
    # Looked at again after the increment: the failure that locks sets the lock before it
    # clears the count, so an increment that started a fresh count still sees the lock.
    until = _until(keys.pair_lock(ip), now)
    if over or until is not None:
        # Over the threshold without a lock yet: earlier attempts are still being checked and
        # the one reaching the threshold is about to lock the pair for LOCKOUT_SECONDS. (The
        # pair count it may have restarted stays: a few extra counts err on the safe side.)
        attempt.pair_number = None
        raise attempt.refuse(
            account_locked(seconds_until(until if until is not None else now + _conf("LOCKOUT_SECONDS"), now))
        )

    attempt.account_number = _fail_open(lambda: _increment(keys.failures, window), None)
    if delay_after((attempt.account_number or 0) - 1) > 0:
        # Slowed down: one attempt at a time, each after the delay its predecessor set.
        attempt.has_turn = _fail_open(lambda: cache.add(keys.turn, 1, timeout=TURN_SECONDS), True)
        if not attempt.has_turn:
            raise attempt.refuse(login_throttled(1))  # another attempt is being checked right now
        until = _until(keys.next_attempt, now)  # set by a failure that ended since the first look
        if until is not None:
            raise attempt.refuse(login_throttled(seconds_until(until, now)))
    return attempt


def reset(*, email: str) -> None:
    """Forget everything about the account's attempts, every address's lock included (a staff
    unlock, a password reset): a new generation of its keys."""
    account = _account_id(email)
    _fail_open(
        lambda: cache.set(_generation_key(account), uuid.uuid4().hex, timeout=_keys_lifetime()),
        None,
    )
