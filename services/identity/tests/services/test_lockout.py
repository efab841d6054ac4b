"""Brute-force protection: the (account, address) lock, the account's growing delays, the per-IP
throttle, unlock; counters in Redis."""

from __future__ import annotations

import contextlib
import socket

import pytest
from django.db.utils import OperationalError

from identity.logins import lockout
from identity.logins.models import LoginAttempt, Outcome
from identity.logins.services import LoginContext, account_unlock, login_authenticate
from servicekit.envelope.errors import ApplicationError
from tests.factories import PASSWORD, UserFactory

# The counters' clock stands still: no test straddles an IP window boundary.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("lockout_clock")]


@pytest.fixture(autouse=True)
def small_limits(settings):
    settings.IDENTITY = {
        **settings.IDENTITY,
        "LOCKOUT_THRESHOLD": 3,
        "IP_MAX_FAILURES": 5,
        "ACCOUNT_FREE_FAILURES": 4,
        "ACCOUNT_MAX_DELAY_SECONDS": 8,
    }


def attempt(email: str, password: str, ip: str = "203.0.113.7") -> ApplicationError | None:
    try:
        login_authenticate(email=email, password=password, context=LoginContext(ip=ip, user_agent="pytest"))
    except ApplicationError as exc:
        return exc
    return None


def test_the_nth_failure_locks_the_account_with_a_retry_after(user, settings):
    assert attempt(user.email, "wrong").code == "invalid_credentials"
    assert attempt(user.email, "wrong").code == "invalid_credentials"
    locked = attempt(user.email, "wrong")
    assert locked.code == "account_locked" and locked.status_code == 429
    assert 0 < int(locked.headers["Retry-After"]) <= settings.IDENTITY["LOCKOUT_SECONDS"]
    assert locked.details["retry_after"] == int(locked.headers["Retry-After"])
    # Even the right password is refused while locked, and the attempt is on record.
    assert attempt(user.email, PASSWORD).code == "account_locked"
    assert LoginAttempt.objects.filter(user=user, outcome=Outcome.ACCOUNT_LOCKED).count() == 1


def test_a_successful_sign_in_resets_the_count(user):
    attempt(user.email, "wrong")
    attempt(user.email, "wrong")
    assert attempt(user.email, PASSWORD) is None
    assert attempt(user.email, "wrong").code == "invalid_credentials"
    assert attempt(user.email, "wrong").code == "invalid_credentials"


def test_unknown_emails_lock_exactly_like_real_ones():
    outcomes = [attempt("nobody@example.com", "wrong").code for _ in range(4)]
    assert outcomes == ["invalid_credentials", "invalid_credentials", "account_locked", "account_locked"]


def test_the_lock_is_per_account(user):
    for _ in range(3):
        attempt("victim@example.com", "wrong", ip="198.51.100.1")
    assert attempt(user.email, PASSWORD, ip="198.51.100.1") is None


def test_an_ip_with_too_many_failures_is_throttled_across_accounts(user):
    for n in range(5):
        attempt(f"spray{n}@example.com", "wrong", ip="192.0.2.9")
    throttled = attempt(user.email, PASSWORD, ip="192.0.2.9")
    assert throttled.code == "rate_limited" and throttled.status_code == 429
    assert int(throttled.headers["Retry-After"]) >= 1
    assert attempt(user.email, PASSWORD, ip="192.0.2.10") is None


def test_the_ip_throttle_ends_with_its_window(user, settings, lockout_clock):
    for n in range(5):
        attempt(f"spray{n}@example.com", "wrong", ip="192.0.2.9")
    throttled = attempt(user.email, PASSWORD, ip="192.0.2.9")
    window = settings.IDENTITY["IP_WINDOW_SECONDS"]
    assert throttled.code == "rate_limited" and int(throttled.headers["Retry-After"]) == window - 1
    lockout_clock.advance(window - 1)  # the clock stood one second into its window
    assert attempt(user.email, PASSWORD, ip="192.0.2.9") is None


def test_successes_do_not_count_against_the_ip(user):
    for _ in range(8):
        assert attempt(user.email, PASSWORD, ip="192.0.2.11") is None
    for n in range(5):
        assert attempt(f"spray{n}@example.com", "wrong", ip="192.0.2.11").code == "invalid_credentials"
    assert attempt(user.email, PASSWORD, ip="192.0.2.11").code == "rate_limited"


def test_a_refused_attempt_does_not_count_against_the_ip(user):
    for _ in range(3):
        attempt("victim@example.com", "wrong", ip="192.0.2.12")
    for _ in range(4):
        assert attempt("victim@example.com", "wrong", ip="192.0.2.12").code == "account_locked"
    # 3 failures from this address so far; the 4 refused attempts were never checked.
    assert attempt(user.email, "wrong", ip="192.0.2.12").code == "invalid_credentials"
    assert attempt(user.email, "wrong", ip="192.0.2.12").code == "invalid_credentials"
    assert attempt(user.email, PASSWORD, ip="192.0.2.12").code == "rate_limited"


def test_the_lock_ends_after_lockout_seconds(user, settings, lockout_clock):
    for _ in range(3):
        attempt(user.email, "wrong")
    assert attempt(user.email, PASSWORD).code == "account_locked"
    lockout_clock.advance(settings.IDENTITY["LOCKOUT_SECONDS"])
    assert attempt(user.email, PASSWORD) is None


def test_the_lock_is_per_address_so_the_owner_still_signs_in(user):
    for _ in range(3):
        attempt(user.email, "wrong", ip="198.51.100.66")
    assert attempt(user.email, PASSWORD, ip="198.51.100.66").code == "account_locked"
    assert attempt(user.email, PASSWORD, ip="192.0.2.1") is None
    # The owner's success does not unlock the attacker's address.
    assert attempt(user.email, PASSWORD, ip="198.51.100.66").code == "account_locked"


def test_failures_from_many_addresses_slow_the_account_with_growing_delays(user, lockout_clock):
    addresses = (f"198.51.100.{n}" for n in range(1, 100))
    for _ in range(4):  # the free failures, each from another address
        assert attempt(user.email, "wrong", ip=next(addresses)).code == "invalid_credentials"
    waits = []
    for _ in range(5):
        throttled = attempt(user.email, PASSWORD, ip=next(addresses))  # even the right password waits
        assert throttled.code == "login_throttled" and throttled.status_code == 429
        assert throttled.details["retry_after"] == int(throttled.headers["Retry-After"])
        waits.append(throttled.details["retry_after"])
        lockout_clock.advance(waits[-1])
        assert attempt(user.email, "wrong", ip=next(addresses)).code == "invalid_credentials"
    assert waits == [1, 2, 4, 8, 8]  # doubling, up to ACCOUNT_MAX_DELAY_SECONDS: never a lock
    assert LoginAttempt.objects.filter(user=user, outcome=Outcome.LOGIN_THROTTLED).count() == 5

    lockout_clock.advance(8)
    assert attempt(user.email, PASSWORD, ip=next(addresses)) is None  # the owner, after the wait
    # ... which starts the account afresh: the next failures are free again.
    assert [attempt(user.email, "wrong", ip=next(addresses)).code for _ in range(4)] == [
        "invalid_credentials"
    ] * 4


def test_a_slowed_account_checks_one_attempt_at_a_time(user):
    for n in range(4):
        lockout.attempt_begin(email=user.email, ip=f"198.51.100.{n}").failed()
    lockout.clock.advance(1)
    first = lockout.attempt_begin(email=user.email, ip="192.0.2.1")  # holds the account's turn
    with pytest.raises(ApplicationError) as excinfo:
        lockout.attempt_begin(email=user.email, ip="192.0.2.2")
    assert excinfo.value.code == "login_throttled"
    first.failed()
    with pytest.raises(ApplicationError) as excinfo:  # and now the delay that failure set
        lockout.attempt_begin(email=user.email, ip="192.0.2.3")
    assert excinfo.value.details["retry_after"] == 2


def test_staff_unlock_lifts_every_addresss_lock_and_the_delay(user):
    for _ in range(3):
        attempt(user.email, "wrong", ip="198.51.100.1")  # locks that address out
    attempt(user.email, "wrong", ip="198.51.100.2")  # the 4th failure: the account slows down
    assert attempt(user.email, PASSWORD, ip="198.51.100.1").code == "account_locked"
    assert attempt(user.email, PASSWORD, ip="192.0.2.1").code == "login_throttled"
    assert lockout.recent_failures(user.email) == 4
    account_unlock(user=user)
    assert lockout.locked_until(user.email, "198.51.100.1") is None
    assert lockout.recent_failures(user.email) == 0
    for ip in ("198.51.100.1", "198.51.100.2", "192.0.2.1"):
        assert attempt(user.email, PASSWORD, ip=ip) is None


@contextlib.contextmanager
def database_away():
    """The database's address refuses connections (its path is cut) inside the block."""
    from django.db import connection

    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]  # nothing listens there once the socket is closed
    saved = connection.settings_dict["PORT"]
    connection.close()
    connection.settings_dict["PORT"] = port
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict["PORT"] = saved


@pytest.mark.django_db(transaction=True)
def test_sign_ins_while_the_database_is_away_lock_nobody_out(settings):
    """Each attempt was reserved in Redis, then failed on the database and stayed counted: after
    a short outage every retrying client was locked out (429) for the whole window."""
    user = UserFactory()
    with database_away():
        for _ in range(settings.IDENTITY["IP_MAX_FAILURES"] + 2):
            with pytest.raises(OperationalError):
                attempt(user.email, PASSWORD)

    assert attempt(user.email, PASSWORD) is None
    assert attempt("someone-else@example.com", "wrong").code == "invalid_credentials"
