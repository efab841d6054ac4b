"""The relay against the real Postgres and RabbitMQ: claim, confirm, mark, release, sweep, prune."""

import json
import threading
import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from servicekit.events import outbox, publish
from servicekit.events.models import OutboxEvent
from servicekit.events.outbox_writer import notify_channel
from servicekit.events.process import StopFlag
from servicekit.events.relay import OutboxListener, Relay
from tests.events.conftest import publish_things, wait_until

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
        assert listener.wait(0) is True  # a fresh LISTEN: the caller must claim once more
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


def test_a_commit_just_before_the_listen_is_not_missed():
    """The relay claims nothing, a commit lands, then it LISTENs: that commit's NOTIFY went to
    nobody, so the first wait of a fresh listener says "claim again" instead of sleeping."""
    listener = OutboxListener(notify_channel())
    try:
        with transaction.atomic():
            publish("testsvc.thing.happened", "s", {"n": 1})
        started = time.monotonic()
        assert listener.wait(30) is True
        assert time.monotonic() - started < 5
        assert listener.wait(0.2) is False, "once listening, no commit means no wake-up"
    finally:
        listener.close()


def test_a_listener_that_cannot_listen_still_wakes_at_once_when_stopped():
    # A channel name that breaks the LISTEN statement: a real database error on every wait,
    # the path a relay takes while its database is away.
    listener = OutboxListener('no"such')
    try:
        started = time.monotonic()
        assert listener.wait(0.3) is False
        assert time.monotonic() - started >= 0.3, "without a stop it pauses before reconnecting"
        with StopFlag() as stop:
            stop.set()
            started = time.monotonic()
            assert listener.wait(30, stop) is False
            assert time.monotonic() - started < 0.5, "a set stop must end the pause at once"
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


def test_a_subject_in_backoff_with_a_long_queue_does_not_stall_the_other_subjects():
    with transaction.atomic():
        publish("testsvc.thing.happened", "HOT", {"n": 0})
    [head] = outbox.claim(10, 30)
    outbox.release([head.id], "nacked", base_seconds=60, max_seconds=60)
    with transaction.atomic():
        for n in range(1, 11):  # a full batch of HOT rows queued behind the one in backoff
            publish("testsvc.thing.happened", "HOT", {"n": n})
        publish("testsvc.thing.happened", "COLD", {"n": 11})

    assert _claimed_ns(outbox.claim(10, 30)) == [11]  # COLD is not held back by HOT's queue

    OutboxEvent.objects.filter(pk=head.id).update(available_at=timezone.now())  # backoff over
    resumed = outbox.claim(10, 30)
    assert _claimed_ns(resumed) == list(range(10))  # HOT resumes from its first row, in order
    outbox.mark_sent([row.id for row in resumed])
    assert _claimed_ns(outbox.claim(10, 30)) == [10]


def test_a_later_row_is_not_claimed_past_an_earlier_one_in_backoff_behind_a_ready_head():
    # An odd state (a ready first row, a later one backing off): the claim still never lets
    # a row overtake an earlier unsent one of its subject.
    with transaction.atomic():
        for n in range(3):
            publish("testsvc.thing.happened", "A", {"n": n})
    first, second, _ = OutboxEvent.objects.order_by("id")
    OutboxEvent.objects.filter(pk=second.pk).update(
        attempts=1, available_at=timezone.now() + timedelta(seconds=60)
    )

    assert _claimed_ns(outbox.claim(10, 30)) == [0]
    outbox.mark_sent([first.pk])
    assert outbox.claim(10, 30) == []


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


def test_a_running_relay_wakes_when_a_backoff_ends_not_at_the_next_poll(conf, tap):
    # No NOTIFY announces the end of a backoff: the relay must not sleep a whole poll interval
    # (here 30 s) with a row due in half a second.
    relay = Relay(replace(conf, relay_poll_seconds=30, relay_retry_base_seconds=0.5))
    real_publish, calls = relay.publisher.publish, []

    def nack_the_first_batch(messages, timeout):
        calls.append(len(messages))
        return [False] * len(messages) if len(calls) == 1 else real_publish(messages, timeout)

    relay.publisher.publish = nack_the_first_batch
    stop = StopFlag()  # set() also ends the 30 s LISTEN wait

    def run():
        try:
            relay.run(stop)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        [event_id] = publish_things(1)
        assert wait_until(lambda: len(calls) >= 1, 10), "the relay did not wake on NOTIFY"
        assert wait_until(lambda: OutboxEvent.objects.filter(sent_at__isnull=False).exists(), 5), (
            "the row out of backoff waited for the next poll"
        )
        assert tap.wait_for({event_id}, timeout=5) and tap.event_ids() == [event_id]
        assert OutboxEvent.objects.get().attempts == 2
    finally:
        stop.set()
        thread.join(timeout=10)
        relay.close()


def test_seconds_until_due_counts_only_rows_in_backoff():
    assert outbox.seconds_until_due() is None
    publish_things(2, subjects=2, per_transaction=2)
    assert outbox.seconds_until_due() is None  # ready rows: the claim takes them, no timer needed
    first = outbox.claim(1, 30)
    outbox.release([first[0].id], "nacked", base_seconds=20, max_seconds=20)
    assert 15 < outbox.seconds_until_due() <= 20


def test_a_sensitive_events_payload_is_blanked_in_the_outbox_once_published_not_on_the_wire(relay, tap):
    with transaction.atomic():
        secret = publish("testsvc.secret.issued", "user-1", {"user_id": "user-1", "token": "one-time-s3cret"})
        plain = publish("testsvc.thing.happened", "user-1", {"n": 1})
    assert "one-time-s3cret" in OutboxEvent.objects.get(event_id=secret.id).body  # until it is sent

    assert relay.drain() == 2

    on_the_wire = {properties.message_id: json.loads(body) for properties, body in tap.collect(2)}
    assert on_the_wire[secret.id]["data"] == {"user_id": "user-1", "token": "one-time-s3cret"}
    stored = OutboxEvent.objects.get(event_id=secret.id)
    assert stored.sent_at is not None and "one-time-s3cret" not in stored.body
    assert json.loads(stored.body) == {**secret.to_dict(), "data": outbox.REDACTED_DATA}
    assert json.loads(OutboxEvent.objects.get(event_id=plain.id).body) == plain.to_dict()  # untouched


def test_sensitive_events_are_those_whose_schema_says_so():
    from servicekit.events.schemas import sensitive_events

    assert sensitive_events() == {("testsvc.secret.issued", 1)}


def test_identitys_one_time_links_are_declared_sensitive():
    from servicekit.events.schemas import load_schema, sensitive_events
    from servicekit.settings import find_contracts_dir

    contracts = find_contracts_dir(Path(__file__).resolve())
    carrying_a_token = {
        (type_, 1)
        for type_ in (
            "identity.user.registered",
            "identity.user.email_verification_requested",
            "identity.user.password_reset_requested",
        )
        if any(name.endswith("_token") for name in load_schema(type_, 1, contracts)["properties"])
    }
    assert len(carrying_a_token) == 3
    assert carrying_a_token <= sensitive_events(contracts)
