"""Lockout over HTTP: 429 with Retry-After, per (account, address), reset on success, staff unlock."""

from __future__ import annotations

import threading
import time
from functools import partial

import pytest
from django.contrib.auth import base_user
from rest_framework.test import APIClient

from identity.logins import services
from identity.logins.models import LoginAttempt
from servicekit.testing.concurrency import results_concurrently
from tests.factories import PASSWORD

# The counters' clock stands still: no test straddles an IP window boundary.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("lockout_clock")]
# About what one Argon2 check costs: long enough for parallel requests to overlap in it.
PASSWORD_CHECK_SECONDS = 0.2
LOGIN = "/api/v1/auth/login/"


@pytest.fixture(autouse=True)
def limits(settings):
    settings.IDENTITY = {
        **settings.IDENTITY,
        "LOCKOUT_THRESHOLD": 3,
        "IP_MAX_FAILURES": 6,
        "ACCOUNT_FREE_FAILURES": 3,
    }


def login(api_client, email, password, ip="203.0.113.50"):
    return api_client.post(LOGIN, {"email": email, "password": password}, format="json", REMOTE_ADDR=ip)


def test_the_account_locks_after_n_failures_with_retry_after(api_client, user):
    statuses = [login(api_client, user.email, "wrong").status_code for _ in range(3)]
    assert statuses == [401, 401, 429]
    locked = login(api_client, user.email, PASSWORD)
    assert locked.status_code == 429
    assert locked.json()["error"]["code"] == "account_locked"
    assert int(locked["Retry-After"]) > 0
    assert locked.json()["error"]["details"]["retry_after"] == int(locked["Retry-After"])


def test_an_attackers_address_fails_twenty_times_while_the_owner_signs_in_from_another(
    api_client, user, settings
):
    """The client address is the one the gateway appended to X-Forwarded-For (what the
    attacker puts in front of it is theirs, and ignored)."""
    settings.IDENTITY = {**settings.IDENTITY, "LOCKOUT_THRESHOLD": 5, "IP_MAX_FAILURES": 20}
    settings.IDENTITY["ACCOUNT_FREE_FAILURES"] = 10

    def through_gateway(password: str, forwarded_for: str):
        return api_client.post(
            LOGIN,
            {"email": user.email, "password": password},
            format="json",
            REMOTE_ADDR="10.0.0.2",  # the gateway
            HTTP_X_FORWARDED_FOR=forwarded_for,
        )

    answers = []
    for n in range(20):
        answers.append(through_gateway("wrong", f"10.9.9.{n}, 203.0.113.66").json()["error"]["code"])
        if n in (9, 19):
            owner = through_gateway(PASSWORD, "198.51.100.7")
            assert owner.status_code == 200, owner.content
    assert answers == ["invalid_credentials"] * 4 + ["account_locked"] * 16
    assert LoginAttempt.objects.filter(user=user, ip="198.51.100.7", outcome="succeeded").count() == 2
    assert LoginAttempt.objects.filter(user=user, ip="203.0.113.66").count() == 20


def test_the_ip_is_throttled_with_rate_limited(api_client, user):
    for n in range(6):
        login(api_client, f"spray{n}@example.com", "wrong")
    throttled = login(api_client, user.email, PASSWORD)
    assert throttled.status_code == 429
    assert throttled.json()["error"]["code"] == "rate_limited"
    assert int(throttled["Retry-After"]) > 0
    assert login(api_client, user.email, PASSWORD, ip="203.0.113.51").status_code == 200


def test_a_success_resets_the_failure_count(api_client, user):
    login(api_client, user.email, "wrong")
    login(api_client, user.email, "wrong")
    assert login(api_client, user.email, PASSWORD).status_code == 200
    assert login(api_client, user.email, "wrong").status_code == 401
    assert login(api_client, user.email, "wrong").status_code == 401


def test_staff_unlock(api_client, user, staff_user_client):
    for _ in range(3):
        login(api_client, user.email, "wrong")
    response = staff_user_client.post(f"/api/v1/users/{user.pk}/unlock/")
    assert response.status_code == 204
    assert login(api_client, user.email, PASSWORD).status_code == 200


def test_unlock_is_staff_only_and_404s_unknown_users(user, user_client, staff_user_client):
    assert user_client.post(f"/api/v1/users/{user.pk}/unlock/").status_code == 403
    missing = staff_user_client.post("/api/v1/users/00000000-0000-0000-0000-000000000000/unlock/")
    assert missing.status_code == 404


class PasswordChecks:
    """Counts password checks (the expensive step the throttles exist to ration)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.count = 0

    def wrap(self, check):
        def counted(*args, **kwargs):
            with self._lock:
                self.count += 1
            time.sleep(PASSWORD_CHECK_SECONDS)
            return check(*args, **kwargs)

        return counted


@pytest.fixture
def password_checks(monkeypatch) -> PasswordChecks:
    checks = PasswordChecks()
    # User.check_password for known emails, the dummy make_password for unknown ones.
    monkeypatch.setattr(base_user, "check_password", checks.wrap(base_user.check_password))
    monkeypatch.setattr(services, "make_password", checks.wrap(services.make_password))
    return checks


def parallel_wrong_guesses(email: str, count: int, *, same_ip: bool):
    def guess(n: int):
        ip = "203.0.113.60" if same_ip else f"198.51.100.{n + 1}"
        return login(APIClient(), email, "wrong", ip=ip)

    return results_concurrently([partial(guess, n) for n in range(count)])


def assert_answers(responses, **counts: int) -> None:
    """Exactly ``counts`` of each error code; every 429 says when to retry."""
    codes = [response.json()["error"]["code"] for response in responses]
    assert {code: codes.count(code) for code in set(codes)} == counts
    for response in responses:
        if response.status_code == 429:
            assert_throttled(response, response.json()["error"]["code"])


def assert_throttled(response, code: str) -> None:
    assert response.status_code == 429
    assert response.json()["error"]["code"] == code
    assert int(response["Retry-After"]) > 0
    assert response.json()["error"]["details"]["retry_after"] == int(response["Retry-After"])


@pytest.mark.django_db(transaction=True)
def test_parallel_guesses_from_one_address_get_at_most_threshold_password_checks(
    user, password_checks, settings
):
    settings.IDENTITY = {**settings.IDENTITY, "IP_MAX_FAILURES": 100, "ACCOUNT_FREE_FAILURES": 100}
    responses = parallel_wrong_guesses(user.email, 12, same_ip=True)
    assert password_checks.count == 3
    # Two wrong passwords, the third locks the address out, the other nine were never checked.
    assert_answers(responses, invalid_credentials=2, account_locked=10)
    assert login(APIClient(), user.email, PASSWORD, ip="203.0.113.60").status_code == 429
    assert login(APIClient(), user.email, PASSWORD, ip="198.51.100.99").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_parallel_guesses_from_many_addresses_get_the_free_checks_then_one_at_a_time(user, password_checks):
    responses = parallel_wrong_guesses(user.email, 12, same_ip=False)
    # The three free failures, then the account is slowed down: one attempt is checked at a
    # time, each after the delay the previous one set, and the others are refused unchecked.
    assert password_checks.count == 4
    assert_answers(responses, invalid_credentials=4, login_throttled=8)
    assert login(APIClient(), user.email, PASSWORD, ip="198.51.100.99").status_code == 429


@pytest.mark.django_db(transaction=True)
def test_parallel_guesses_from_one_ip_get_at_most_the_ip_limit_of_checks(user, password_checks, settings):
    settings.IDENTITY = {
        **settings.IDENTITY,
        "LOCKOUT_THRESHOLD": 100,
        "IP_MAX_FAILURES": 3,
        "ACCOUNT_FREE_FAILURES": 100,
    }
    responses = parallel_wrong_guesses(user.email, 12, same_ip=True)
    assert password_checks.count == 3
    assert sorted(response.status_code for response in responses) == [401] * 3 + [429] * 9
    for response in responses:
        if response.status_code == 429:
            assert_throttled(response, "rate_limited")


@pytest.mark.django_db(transaction=True)
def test_parallel_guesses_for_unknown_emails_are_rationed_too(password_checks):
    responses = parallel_wrong_guesses("nobody@example.com", 12, same_ip=False)
    assert password_checks.count == 4
    assert sorted(response.status_code for response in responses) == [401] * 4 + [429] * 8
