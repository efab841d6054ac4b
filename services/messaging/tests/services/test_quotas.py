"""The daily quota: counted atomically under concurrent sends, overridable per user by staff."""

from datetime import UTC, datetime, timedelta

import pytest

from messaging.chat.models import Message
from messaging.chat.services import message_send
from messaging.quotas.errors import QuotaExceeded
from messaging.quotas.models import DailyUsage, QuotaOverride
from messaging.quotas.services import quota_consume, quota_override_set
from servicekit.envelope.errors import ApplicationError
from servicekit.testing.concurrency import run_concurrently
from tests.conftest import RECIPIENT
from tests.factories import SessionFactory

NOON = datetime(2026, 3, 14, 12, 0, tzinfo=UTC)
THREADS = 16  # concurrent connections; Postgres is shared with other suites


@pytest.mark.django_db
def test_each_send_counts_one_and_the_one_over_the_limit_is_refused(user_id, messaging_conf):
    messaging_conf(DAILY_MESSAGE_LIMIT=2)

    used = [quota_consume(user_id=user_id, now=NOON).used for _ in range(2)]
    with pytest.raises(QuotaExceeded) as raised:
        quota_consume(user_id=user_id, now=NOON)

    assert used == [1, 2]
    error = raised.value
    assert (error.code, error.status_code) == ("quota_exceeded", 429)
    assert error.details == {"limit": 2, "used": 2, "resets_at": "2026-03-15T00:00:00+00:00"}
    assert error.headers == {"Retry-After": str(12 * 3600)}
    assert DailyUsage.objects.get(user_id=user_id).count == 2


@pytest.mark.django_db
def test_the_quota_resets_at_midnight_utc(user_id, messaging_conf):
    messaging_conf(DAILY_MESSAGE_LIMIT=1)
    quota_consume(user_id=user_id, now=NOON)

    tomorrow = quota_consume(user_id=user_id, now=NOON + timedelta(hours=12))

    assert (tomorrow.used, tomorrow.resets_at) == (1, datetime(2026, 3, 16, tzinfo=UTC))
    assert DailyUsage.objects.filter(user_id=user_id).count() == 2


@pytest.mark.django_db
def test_quotas_are_per_user(user_id, messaging_conf):
    messaging_conf(DAILY_MESSAGE_LIMIT=1)
    quota_consume(user_id=user_id, now=NOON)

    assert quota_consume(user_id="00000000-0000-0000-0000-000000000001", now=NOON).used == 1


@pytest.mark.django_db
def test_a_staff_override_replaces_the_default_and_can_be_removed(user_id, messaging_conf):
    messaging_conf(DAILY_MESSAGE_LIMIT=1)
    staff_id = "00000000-0000-0000-0000-0000000000aa"
    quota_override_set(user_id=user_id, daily_limit=3, set_by=staff_id, reason="pilot customer")

    used = [quota_consume(user_id=user_id, now=NOON) for _ in range(3)]
    assert [(status.used, status.limit, status.is_overridden) for status in used][-1] == (3, 3, True)

    quota_override_set(user_id=user_id, daily_limit=None)
    with pytest.raises(QuotaExceeded) as raised:
        quota_consume(user_id=user_id, now=NOON)
    assert raised.value.details["limit"] == 1
    assert QuotaOverride.objects.count() == 0


@pytest.mark.django_db
def test_a_limit_of_zero_refuses_every_send_and_counts_nothing(user_id):
    quota_override_set(user_id=user_id, daily_limit=0)

    with pytest.raises(QuotaExceeded):
        quota_consume(user_id=user_id, now=NOON)

    assert DailyUsage.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("limit", [-1, 10_000_001])
def test_an_override_out_of_range_is_refused(user_id, limit):
    with pytest.raises(ApplicationError) as raised:
        quota_override_set(user_id=user_id, daily_limit=limit)

    assert (raised.value.code, list(raised.value.details)) == ("validation_error", ["daily_limit"])
    assert QuotaOverride.objects.count() == 0


@pytest.mark.django_db
def test_a_send_over_the_quota_is_refused_and_leaves_nothing_behind(user_id, messaging_conf, captured_events):
    messaging_conf(DAILY_MESSAGE_LIMIT=1)
    SessionFactory(user_id=user_id)
    message_send(user_id=user_id, to=RECIPIENT, text="first")

    with pytest.raises(QuotaExceeded):
        message_send(user_id=user_id, to=RECIPIENT, text="second")

    assert list(Message.objects.values_list("text", flat=True)) == ["first"]
    assert DailyUsage.objects.get(user_id=user_id).count == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_consumption_never_exceeds_the_limit(user_id, messaging_conf):
    messaging_conf(DAILY_MESSAGE_LIMIT=5)

    errors = run_concurrently([lambda: quota_consume(user_id=user_id, now=NOON)] * THREADS)

    assert [type(error) for error in errors] == [QuotaExceeded] * (THREADS - 5)
    assert DailyUsage.objects.get(user_id=user_id).count == 5


@pytest.mark.django_db(transaction=True)
def test_concurrent_sends_queue_exactly_as_many_messages_as_the_quota_allows(user_id, messaging_conf):
    messaging_conf(DAILY_MESSAGE_LIMIT=5)
    SessionFactory(user_id=user_id)

    errors = run_concurrently(
        [lambda n=n: message_send(user_id=user_id, to=RECIPIENT, text=f"message {n}") for n in range(THREADS)]
    )

    assert [type(error) for error in errors] == [QuotaExceeded] * (THREADS - 5)
    assert all(error.details["limit"] == 5 for error in errors)
    assert Message.objects.filter(user_id=user_id).count() == 5
    assert DailyUsage.objects.get(user_id=user_id).count == 5
