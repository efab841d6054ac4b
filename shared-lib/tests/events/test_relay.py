"""The relay against the real Postgres and RabbitMQ: claim, confirm, mark, release, sweep, prune."""

import json
from datetime import timedelta

import psycopg
import pytest
from django.db import connection, transaction
from django.utils import timezone

from servicekit.events import outbox, publish
from servicekit.events.models import OutboxEvent
from servicekit.events.publishing import notify_channel
from servicekit.events.relay import OutboxListener, Relay
from tests.events.conftest import publish_things

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def relay(conf):
    relay = Relay(conf)
    yield relay
    relay.close()


def test_relay_publishes_committed_events_in_order_with_confirms_and_marks_them_sent(relay, tap):
    ids = publish_things(25, subjects=3, per_transaction=10)

    assert relay.drain() == 25

    messages = tap.collect(25)
    assert [properties.message_id for properties, _ in messages] == ids
    properties, body = messages[0]
    assert (properties.type, properties.content_type, properties.delivery_mode, properties.app_id) == (
        "testsvc.thing.happened",
        "application/json",
        2,
        "testsvc",
    )
    assert json.loads(body)["data"] == {"n": 0}
    assert not OutboxEvent.objects.filter(sent_at__isnull=True).exists()
    assert set(OutboxEvent.objects.values_list("attempts", flat=True)) == {1}


def test_rollback_leaves_no_row_no_wake_up_and_no_message(relay, tap):
    listener = OutboxListener(notify_channel())
    try:
        listener.wait(0)  # LISTEN before anything happens
        with pytest.raises(RuntimeError), transaction.atomic():
            publish("testsvc.thing.happened", "s", {"n": 1})
            raise RuntimeError("rolled back")

        assert listener.wait(0.3) is False
        assert not OutboxEvent.objects.exists()
        assert relay.drain() == 0
        assert tap.settle(0.3) == []

        with transaction.atomic():
            publish("testsvc.thing.happened", "s", {"n": 2})
        assert listener.wait(2) is True  # commit → NOTIFY → the relay wakes
    finally:
        listener.close()


def _claimed_ns(rows):
    return [json.loads(row.body)["data"]["n"] for row in rows]


def test_a_subject_is_not_claimed_past_an_earlier_unsent_event():
    with transaction.atomic():
        publish("testsvc.thing.happened", "A", {"n": 1})
        publish("testsvc.thing.happened", "A", {"n": 2})
        publish("testsvc.thing.happened", "B", {"n": 3})
    first = OutboxEvent.objects.order_by("id").first()
    OutboxEvent.objects.filter(pk=first.pk).update(claimed_until=timezone.now() + timedelta(seconds=30))

    assert _claimed_ns(outbox.claim(10, 30)) == [3]  # A's 2 waits for A's 1, in flight elsewhere

    outbox.mark_sent([first.pk])
    assert _claimed_ns(outbox.claim(10, 30)) == [2]


def test_a_row_in_backoff_holds_back_its_subject_only():
    with transaction.atomic():
        publish("testsvc.thing.happened", "A", {"n": 1})
        publish("testsvc.thing.happened", "A", {"n": 2})
        publish("testsvc.thing.happened", "B", {"n": 3})
    rows = outbox.claim(1, 30)
    outbox.release([rows[0].id], "nacked", base_seconds=60, max_seconds=60)

    row = OutboxEvent.objects.get(pk=rows[0].id)
    assert row.claimed_until is None and row.last_error == "nacked" and row.attempts == 1
    assert row.available_at > timezone.now() + timedelta(seconds=50)
    assert _claimed_ns(outbox.claim(10, 30)) == [3]


def test_concurrent_claims_skip_locked_rows_and_keep_subjects_in_order():
    publish_things(6, subjects=3, per_transaction=6)  # n=0..5, subjects thing-0,1,2,0,1,2
    settings = connection.settings_dict
    other = psycopg.connect(
        dbname=settings["NAME"], user="postgres", host="127.0.0.1", options=settings["OPTIONS"]["options"]
    )
    try:
        with other.transaction():
            other_rows = other.execute(outbox.CLAIM_SQL, {"limit": 2, "lease": 30}).fetchall()
            assert sorted(json.loads(r[3])["data"]["n"] for r in other_rows) == [0, 1]
            # While the other relay holds n=0 and n=1 (uncommitted), this one may take thing-2
            # but not the later events of thing-0 and thing-1.
            assert _claimed_ns(outbox.claim(10, 30)) == [2, 5]
    finally:
        other.close()


def test_sweep_returns_expired_leases_to_the_pool():
    publish_things(3, subjects=3, per_transaction=3)
    claimed = outbox.claim(10, 30)
    OutboxEvent.objects.filter(pk=claimed[0].id).update(claimed_until=timezone.now() - timedelta(seconds=1))

    assert outbox.sweep() == 1
    assert _claimed_ns(outbox.claim(10, 30)) == [0]
    assert outbox.sweep() == 0


def test_prune_deletes_only_rows_sent_before_the_retention():
    publish_things(3, subjects=3, per_transaction=3)
    old, recent, pending = OutboxEvent.objects.order_by("id")
    OutboxEvent.objects.filter(pk=old.pk).update(sent_at=timezone.now() - timedelta(hours=73))
    OutboxEvent.objects.filter(pk=recent.pk).update(sent_at=timezone.now() - timedelta(hours=1))

    assert outbox.prune(retention_hours=72) == 1
    assert set(OutboxEvent.objects.values_list("pk", flat=True)) == {recent.pk, pending.pk}


def test_unconfirmed_messages_are_released_with_backoff_and_the_rest_marked_sent(relay, monkeypatch):
    publish_things(3, subjects=3, per_transaction=3)
    monkeypatch.setattr(relay.publisher, "publish", lambda messages, timeout: [True, False, True])

    assert relay.relay_batch() == 3

    rows = list(OutboxEvent.objects.order_by("id"))
    assert [row.sent_at is not None for row in rows] == [True, False, True]
    assert rows[1].claimed_until is None and "not confirmed" in rows[1].last_error
    assert rows[1].available_at > timezone.now()


def test_without_a_broker_rows_stay_pending_and_untouched(conf, proxy):
    proxy.cut()
    relay = Relay(conf, broker_url=proxy.url())
    publish_things(2)
    try:
        with pytest.raises(TimeoutError):
            relay.drain(timeout=1)
    finally:
        relay.close()
    assert list(OutboxEvent.objects.values_list("attempts", "sent_at")) == [(0, None), (0, None)]
