"""Partitions made ahead by the beat task; retention drops whole old partitions, rollups stay."""

import uuid
from datetime import date, timedelta

import pytest
from django.conf import settings as django_settings
from django.db import connection

from analytics.conf import BEAT_SCHEDULE
from analytics.events.models import StoredEvent
from analytics.maintenance import partitions_create_ahead, retention_apply
from analytics.partitions import EVENTS, REQUEST_LOGS, ensure_partitions, partition_days
from analytics.usage.models import DailyActivity, DailyRevenue
from analytics.usage.services import usage_rollup
from tests import events
from tests.conftest import utc

pytestmark = pytest.mark.django_db
TODAY = date(2031, 6, 10)


def _days(first: date, count: int) -> list[date]:
    return [first + timedelta(days=n) for n in range(count)]


@pytest.fixture
def analytics_settings(settings):
    settings.ANALYTICS = {**settings.ANALYTICS, "PARTITIONS_AHEAD_DAYS": 3}
    return settings.ANALYTICS


def test_partitions_are_made_for_today_and_the_days_ahead_of_both_tables(analytics_settings):
    made = partitions_create_ahead(today=TODAY)

    assert made == {EVENTS.name: _days(TODAY, 4), REQUEST_LOGS.name: _days(TODAY, 4)}
    assert partition_days(EVENTS) == partition_days(REQUEST_LOGS) == _days(TODAY, 4)


def test_making_them_again_is_a_no_op_and_the_next_day_adds_one(analytics_settings):
    partitions_create_ahead(today=TODAY)

    assert partitions_create_ahead(today=TODAY) == {EVENTS.name: [], REQUEST_LOGS.name: []}
    assert partitions_create_ahead(today=TODAY + timedelta(days=1)) == {
        EVENTS.name: [TODAY + timedelta(days=4)],
        REQUEST_LOGS.name: [TODAY + timedelta(days=4)],
    }


def test_partitions_made_ahead_take_rows_of_their_day_and_are_real_partitions(analytics_settings, ingest):
    partitions_create_ahead(today=TODAY)
    ingest([events.registered(uuid.uuid4(), at=utc(2031, 6, 12, 8))])

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_get_expr(relpartbound, oid) FROM pg_class WHERE relname = %s",
            [EVENTS.partition_name(date(2031, 6, 12))],
        )
        assert cursor.fetchone()[0] == (
            "FOR VALUES FROM ('2031-06-12 00:00:00+00') TO ('2031-06-13 00:00:00+00')"
        )
        cursor.execute("SELECT count(*) FROM " + EVENTS.partition_name(date(2031, 6, 12)))
        assert cursor.fetchone()[0] == 1
    assert partition_days(EVENTS) == _days(TODAY, 4)  # no partition was made on demand


def test_beat_runs_the_partition_tasks_and_they_are_registered(analytics_settings):
    from analytics.celery import app

    app.loader.import_default_modules()
    scheduled = {entry["task"] for entry in BEAT_SCHEDULE.values()}
    assert scheduled == {"analytics.create_partitions", "analytics.apply_retention"}
    assert scheduled <= set(app.tasks)
    assert django_settings.CELERY_BEAT_SCHEDULE == BEAT_SCHEDULE

    result = app.tasks["analytics.create_partitions"].apply().get()

    assert len(result[EVENTS.name]) == 4 and len(result[REQUEST_LOGS.name]) == 4


def test_retention_drops_whole_old_partitions_and_keeps_the_rollups(settings, ingest):
    settings.ANALYTICS = {**settings.ANALYTICS, "EVENT_RETENTION_DAYS": 30, "REQUEST_LOG_RETENTION_DAYS": 7}
    user = uuid.uuid4()
    today = date(2031, 3, 1)
    old, kept = utc(2031, 1, 29, 23, 59), utc(2031, 1, 30, 0, 0)  # 30 days before 1 March: 30 January
    ingest(
        [
            events.placed(user, uuid.uuid4(), at=old),
            events.paid(user, uuid.uuid4(), at=old, amount="5.00"),
            events.placed(user, uuid.uuid4(), at=kept),
        ]
    )
    ensure_partitions(REQUEST_LOGS, [date(2031, 2, 21), date(2031, 2, 22)])  # 7 days before 1 March: 22 Feb
    rollups_before = sorted(DailyActivity.objects.values_list("day", "orders_placed"))

    dropped = retention_apply(today=today)

    assert dropped == {EVENTS.name: [date(2031, 1, 29)], REQUEST_LOGS.name: [date(2031, 2, 21)]}
    assert partition_days(EVENTS) == [date(2031, 1, 30)]
    assert partition_days(REQUEST_LOGS) == [date(2031, 2, 22)]
    assert list(StoredEvent.objects.values_list("occurred_at", flat=True)) == [kept]
    assert rollups_before == [(date(2031, 1, 29), 1), (date(2031, 1, 30), 1)]
    assert sorted(DailyActivity.objects.values_list("day", "orders_placed")) == rollups_before
    assert str(DailyRevenue.objects.get(day=date(2031, 1, 29)).amount) == "5.0000"

    # A rebuild afterwards can only redo days it still has raw events of: the dropped day stays.
    result = usage_rollup()
    assert result.event_days == [date(2031, 1, 30)]
    assert sorted(DailyActivity.objects.values_list("day", "orders_placed")) == rollups_before
    assert str(DailyRevenue.objects.get(day=date(2031, 1, 29)).amount) == "5.0000"


def test_retention_with_nothing_old_drops_nothing(settings, ingest):
    ingest([events.registered(uuid.uuid4(), at=utc(2031, 3, 1, 12))])

    assert retention_apply(today=date(2031, 3, 1)) == {EVENTS.name: [], REQUEST_LOGS.name: []}
    assert StoredEvent.objects.count() == 1
