from datetime import UTC, datetime

import pytest

from messaging.quotas.selectors import quota_status
from messaging.quotas.services import quota_consume, quota_override_set

NOON = datetime(2026, 3, 14, 12, 0, tzinfo=UTC)


@pytest.mark.django_db
def test_quota_status_says_the_limit_what_is_used_and_when_it_resets(user_id, messaging_conf):
    messaging_conf(DAILY_MESSAGE_LIMIT=10)
    for _ in range(3):
        quota_consume(user_id=user_id, now=NOON)

    status = quota_status(user_id=user_id, now=NOON)

    assert (status.limit, status.used, status.remaining, status.is_overridden) == (10, 3, 7, False)
    assert status.resets_at == datetime(2026, 3, 15, tzinfo=UTC)


@pytest.mark.django_db
def test_quota_status_of_a_user_who_sent_nothing_with_an_override(user_id, django_assert_num_queries):
    quota_override_set(user_id=user_id, daily_limit=2)

    with django_assert_num_queries(2):
        status = quota_status(user_id=user_id, now=NOON)

    assert (status.limit, status.used, status.remaining, status.is_overridden) == (2, 0, 2, True)


@pytest.mark.django_db
def test_a_lowered_limit_leaves_nothing_remaining_not_a_negative_number(user_id):
    for _ in range(3):
        quota_consume(user_id=user_id, now=NOON)
    quota_override_set(user_id=user_id, daily_limit=1)

    assert quota_status(user_id=user_id, now=NOON).remaining == 0
