"""Every event is stored once, as published, whatever redelivers it; usage counts it once."""

import dataclasses
import uuid
from datetime import timedelta

import pytest
from django.db import connection

from analytics.events.models import StoredEvent
from analytics.partitions import EVENTS, partition_days
from analytics.usage.models import DailyActivity, DailyRevenue
from servicekit.events.models import InboxEvent
from tests import events
from tests.conftest import utc

HANDLER = "analytics.record_event"
AT = utc(2031, 3, 4, 12, 30)


def _stored():
    return list(StoredEvent.objects.values_list("event_id", flat=True))


def test_an_event_is_stored_whole_as_published(ingest):
    user, order = uuid.uuid4(), uuid.uuid4()
    placed = dataclasses.replace(events.placed(user, order, at=AT), causation_id=str(uuid.uuid4()))

    [outcome] = ingest([placed])

    assert outcome.handled == [HANDLER]
    stored = StoredEvent.objects.get()
    assert (
        str(stored.event_id),
        stored.occurred_at,
        stored.type,
        stored.version,
        stored.subject,
        stored.producer,
        stored.correlation_id,
        stored.causation_id,
        stored.payload,
    ) == (
        placed.id,
        AT,
        "orders.order.placed",
        1,
        str(order),
        "orders",
        "test-correlation",
        placed.causation_id,
        placed.data,
    )


def test_events_of_any_type_and_version_are_stored_without_a_schema(ingest):
    strangers = [
        events.event("nobody.knows.this", {"deep": {"list": [1, None, "x"]}}, at=AT),
        events.event("orders.order.placed", {"whatever": "v9"}, at=AT, version=9),
        dataclasses.replace(events.event("x.y.happened", {}, at=AT), correlation_id=None),
    ]
    outcomes = ingest(strangers)

    assert [o.handled for o in outcomes] == [[HANDLER]] * 3
    rows = StoredEvent.objects.order_by("type").values_list("type", "version", "payload", "correlation_id")
    assert list(rows) == [
        ("nobody.knows.this", 1, {"deep": {"list": [1, None, "x"]}}, "test-correlation"),
        ("orders.order.placed", 9, {"whatever": "v9"}, "test-correlation"),
        ("x.y.happened", 1, {}, ""),
    ]
    assert not DailyActivity.objects.exists()  # a v9 placement is no v1 rule's business


def test_a_redelivered_event_is_neither_stored_nor_counted_twice(ingest, deliver_event):
    user = uuid.uuid4()
    placed = events.placed(user, uuid.uuid4(), at=AT)
    paid = events.paid(user, uuid.uuid4(), at=AT, amount="12.50")
    ingest([placed, paid])

    again = ingest([placed, paid, placed])  # a relay retry, twice in one batch too

    assert [o.duplicates for o in again] == [[HANDLER]] * 3
    assert sorted(_stored()) == sorted([uuid.UUID(placed.id), uuid.UUID(paid.id)])
    assert DailyActivity.objects.get().orders_placed == 1
    assert str(DailyRevenue.objects.get().amount) == "12.5000"


def test_redelivery_after_the_inbox_forgot_the_event_still_has_no_second_effect(ingest):
    user = uuid.uuid4()
    placed = events.placed(user, uuid.uuid4(), at=AT)
    ingest([placed])
    InboxEvent.objects.filter(event_id=placed.id).delete()  # pruned after its retention

    [outcome] = ingest([placed])

    assert outcome.handled == [HANDLER]  # the inbox let it through; the store's key did not
    assert _stored() == [uuid.UUID(placed.id)]
    assert DailyActivity.objects.get().orders_placed == 1


def test_an_event_outside_the_partitions_made_ahead_gets_its_day_made(ingest):
    old = events.registered(uuid.uuid4(), at=utc(2019, 1, 2, 23, 59, 59))
    ahead = events.registered(uuid.uuid4(), at=utc(2099, 12, 31, 0, 0))

    ingest([old, ahead])

    assert {utc(2019, 1, 2).date(), utc(2099, 12, 31).date()} <= set(partition_days(EVENTS))
    assert StoredEvent.objects.count() == 2


def test_each_day_lands_in_its_own_partition(ingest):
    midnight = utc(2031, 3, 5)
    ingest(
        [
            events.registered(uuid.uuid4(), at=midnight - timedelta(microseconds=1)),
            events.registered(uuid.uuid4(), at=midnight),
        ]
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT tableoid::regclass::text FROM analytics_event ORDER BY occurred_at")
        assert [name for (name,) in cursor.fetchall()] == [
            EVENTS.partition_name(utc(2031, 3, 4).date()),
            EVENTS.partition_name(midnight.date()),
        ]


def test_a_partition_dropped_behind_the_processs_back_is_made_again_on_retry(ingest):
    from django.db import IntegrityError, transaction

    from analytics.events.services import event_store
    from analytics.partitions import ensure_partitions

    day = AT.date()
    ensure_partitions(EVENTS, [day])
    EVENTS.known_days.add(day)  # as after a commit
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {EVENTS.partition_name(day)}")  # another process's retention
    event = events.registered(uuid.uuid4(), at=AT)

    with pytest.raises(IntegrityError, match="no partition"), transaction.atomic():
        event_store(event=event)

    assert EVENTS.known_days == set()
    assert event_store(event=event) is True  # the consumer's retry
    assert _stored() == [uuid.UUID(event.id)]
