from __future__ import annotations

import pytest

from identity.logins.models import LoginAttempt, Outcome
from identity.logins.selectors import login_attempt_list
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(user):
    other = UserFactory()
    return [
        LoginAttempt.objects.create(user=user, email=user.email, outcome=Outcome.SUCCEEDED, ip="203.0.113.1"),
        LoginAttempt.objects.create(
            user=user, email=user.email, outcome=Outcome.INVALID_CREDENTIALS, ip="203.0.113.2"
        ),
        LoginAttempt.objects.create(
            user=other, email=other.email, outcome=Outcome.SUCCEEDED, ip="203.0.113.1"
        ),
        LoginAttempt.objects.create(
            user=None, email="ghost@example.com", outcome=Outcome.INVALID_CREDENTIALS
        ),
    ]


def test_a_users_history_is_theirs_only_newest_first(user, history):
    assert list(login_attempt_list(user=user)) == [history[1], history[0]]


def test_staff_filters(history, user):
    assert list(login_attempt_list(filters={"ip": "203.0.113.1"})) == [history[2], history[0]]
    assert list(login_attempt_list(filters={"succeeded": False})) == [history[3], history[1]]
    assert list(login_attempt_list(filters={"succeeded": True, "user_id": user.pk})) == [history[0]]
    assert list(login_attempt_list(filters={"email": "GHOST@example.com"})) == [history[3]]
    assert list(login_attempt_list(filters={"outcome": Outcome.INVALID_CREDENTIALS})) == [
        history[3],
        history[1],
    ]
