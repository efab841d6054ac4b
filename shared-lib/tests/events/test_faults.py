"""Fault tests: the relay and the consumer as real processes against the real Postgres and
RabbitMQ, killed with SIGKILL or cut off from the broker through a TCP proxy (the broker
itself is never touched). The invariant everywhere: every committed event has exactly one
effect at the consumer, none is lost, and nothing needs a restart by hand."""

import ast
import json
import time
from collections import defaultdict
from pathlib import Path

import pytest
from django.db import transaction

from servicekit.events.models import OutboxEvent
from tests.events.conftest import effects, publish_things, wait_until
from tests.testapp.models import Effect

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.fault]

RELAY_READY = "with publisher confirms"
CONSUMER_READY = "connected to the broker (connection #"


def _assert_exactly_once(ids, timeout):
    wait_until(lambda: set(ids) <= set(effects()), timeout, interval=0.25)
    seen = effects()
    missing = set(ids) - set(seen)
    assert not missing, f"{len(missing)} of {len(ids)} events never handled"
    assert {count for count in seen.values()} == {1}, "an event had a second effect"
    assert set(seen) == set(ids)


def test_broker_unreachable_while_1000_events_commit_then_every_event_is_delivered(processes, proxy, tap):
    relay = processes.start("relay_events", broker_url=proxy.url())
    processes.wait_for_log(relay, RELAY_READY)
    consumer = processes.start("consume_events")
    processes.wait_for_log(consumer, CONSUMER_READY)

    proxy.cut()
    started = time.monotonic()
    ids = publish_things(1000, per_transaction=1)  # 1,000 separate commits while the broker is away
    writing = time.monotonic() - started
    time.sleep(1.0)
    assert OutboxEvent.objects.filter(sent_at__isnull=True).count() == 1000 and not Effect.objects.exists()

    proxy.restore()
    _assert_exactly_once(ids, timeout=30)
    assert sorted(tap.collect(1000, timeout=5) and tap.event_ids()) == sorted(ids)
    assert relay.poll() is None and consumer.poll() is None
    print(f"\n1000 commits with the broker unreachable took {writing:.2f}s; all delivered after restore")


def _hold_in_flight_rows(database, already_held):
    """Lock the rows a relay has claimed but not marked sent yet: its mark-sent then blocks,
    after the broker confirmed them, so a kill lands exactly between publish and mark-sent."""
    import psycopg
    from django.db import connection

    holder = psycopg.connect(
        dbname=database,
        user="postgres",
        host="127.0.0.1",
        options=connection.settings_dict["OPTIONS"]["options"],
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        rows = holder.execute(  # rows of an earlier, killed relay stay in flight until their lease ends
            "SELECT event_id::text FROM event_outbox WHERE claimed_until IS NOT NULL AND sent_at IS NULL "
            "AND NOT event_id::text = ANY(%s) FOR UPDATE",
            [list(already_held)],
        ).fetchall()
        if rows:
            return holder, {event_id for (event_id,) in rows}
        holder.rollback()
        time.sleep(0.001)
    raise AssertionError("the relay never had rows in flight")


def test_relay_killed_between_publish_and_mark_sent_loses_nothing_and_duplicates_have_no_second_effect(
    processes, tap
):
    consumer = processes.start("consume_events")
    processes.wait_for_log(consumer, CONSUMER_READY)
    ids = publish_things(2000, per_transaction=200)

    held: set[str] = set()
    for _ in range(4):  # first exactly between publish (confirmed) and mark-sent
        relay = processes.start("relay_events", EVENTS_RELAY_BATCH_SIZE="100")
        processes.wait_for_log(relay, RELAY_READY)
        holder, in_flight = _hold_in_flight_rows(processes.database_name, held)
        try:
            published = wait_until(
                lambda in_flight=in_flight: in_flight <= {m.message_id for m, _ in tap.pump()}, 10
            )
            assert published, "the held rows were published and confirmed before the kill"
            processes.kill(relay)  # SIGKILL while its mark-sent waits on our lock...
            # ...and end its server session too, so that statement never runs (as if never sent).
            holder.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE pg_backend_pid() = ANY(pg_blocking_pids(pid))"
            )
        finally:
            holder.close()
        held |= in_flight
    for pause in (0.03, 0.12):  # then at arbitrary points (claiming, publishing, marking)
        relay = processes.start("relay_events", EVENTS_RELAY_BATCH_SIZE="100")
        processes.wait_for_log(relay, RELAY_READY)
        time.sleep(pause)
        processes.kill(relay)
    processes.start("relay_events")  # a healthy relay sweeps the expired leases and finishes

    _assert_exactly_once(ids, timeout=60)
    tap.wait_for(set(ids))
    duplicates = len(tap.event_ids()) - len(set(tap.event_ids()))
    assert set(tap.event_ids()) == set(ids)
    assert duplicates >= len(held) > 0
    print(
        f"\n6 relays killed (4 between publish and mark-sent): {duplicates} events published twice, "
        "each absorbed by the inbox"
    )


def test_consumer_killed_between_commit_and_ack_redelivers_and_the_inbox_absorbs_it(processes, tmp_path):
    """The crash window that matters: a batch's handlers committed, its ack not yet sent. The
    test handler pauses exactly there (an on-commit hook, for one marked event) and the
    consumer is killed while it waits."""
    relay = processes.start("relay_events")
    processes.wait_for_log(relay, RELAY_READY)
    first = processes.start("consume_events")
    processes.wait_for_log(first, CONSUMER_READY)
    pause = tmp_path / "pause"
    with transaction.atomic():  # one commit: the marked event arrives amid a full batch
        ids = publish_things(400, per_transaction=400)
        [marked] = publish_things(1, start=400, pause_after_commit=str(pause))
        ids += [marked, *publish_things(400, start=401, per_transaction=400)]

    assert wait_until(lambda: Path(f"{pause}.paused").exists(), 30), processes.log(first)[-3000:]
    committed = effects()
    assert committed.get(marked) == 1, "the marked event's batch committed before the pause"
    processes.kill(first)  # SIGKILL between the commit and the ack

    second = processes.start("consume_events")
    _assert_exactly_once(ids, timeout=60)
    assert processes.stop(second) == 0
    stats = ast.literal_eval(
        processes.log(second).rsplit("consumer stopped; events consumed: ", 1)[1].splitlines()[0]
    )
    # Every event the killed consumer committed but never acknowledged came back; the inbox
    # recognised it (the marked one at least) and its handler did not run a second time.
    assert stats["duplicates"] >= 1
    assert stats["handled"] == len(ids) - len(committed)
    assert not Path(f"{pause}.resume").exists()
    print(
        f"\nkilled after committing {len(committed)} of {len(ids)} events (before their ack); "
        f"the next consumer handled {stats['handled']} and absorbed {stats['duplicates']} redeliveries"
    )


def test_two_relays_on_one_outbox_lose_nothing_and_keep_each_subjects_order(processes, tap):
    relays = [processes.start("relay_events", EVENTS_RELAY_BATCH_SIZE="50") for _ in range(2)]
    for relay in relays:
        processes.wait_for_log(relay, RELAY_READY)
    consumer = processes.start("consume_events")
    processes.wait_for_log(consumer, CONSUMER_READY)

    ids = publish_things(2000, subjects=30, per_transaction=20)

    _assert_exactly_once(ids, timeout=60)
    messages = tap.collect(2000, timeout=10)
    assert sorted(tap.event_ids()) == sorted(ids)
    by_subject = defaultdict(list)
    for _, body in messages:
        envelope = json.loads(body)
        by_subject[envelope["subject"]].append(envelope["data"]["n"])
    assert all(ns == sorted(ns) for ns in by_subject.values()), "a subject's events overtook each other"
    relayed = []
    for relay in relays:
        assert processes.stop(relay) == 0
        relayed.append(int(processes.log(relay).rsplit("after relaying ", 1)[1].split()[0]))
    assert sum(relayed) == 2000
    print(f"\nevents relayed by each relay: {relayed}")


def test_consumer_resumes_by_itself_after_its_connection_drops_or_goes_silent(processes, proxy):
    relay = processes.start("relay_events")
    processes.wait_for_log(relay, RELAY_READY)
    consumer = processes.start("consume_events", broker_url=proxy.url(), EVENTS_HEARTBEAT_SECONDS="3")
    processes.wait_for_log(consumer, CONSUMER_READY)
    before = publish_things(10, start=0)
    _assert_exactly_once(before, timeout=10)

    # 1. The connection is dropped (the peer closes it) and stays impossible for 3 s.
    proxy.cut()
    dropped = time.monotonic()
    during = publish_things(10, start=10)
    time.sleep(3)
    proxy.restore()
    _assert_exactly_once(before + during, timeout=60)
    after_drop = time.monotonic() - dropped

    # 2. The connection goes silent (no FIN, no RST: a partition): only heartbeats can tell.
    losses = processes.log(consumer).count("broker connection lost")
    proxy.blackhole()
    silenced = time.monotonic()
    silent = publish_things(10, start=20)
    processes.wait_for_log(consumer, "broker connection lost", timeout=45, occurrences=losses + 1)
    noticed = time.monotonic() - silenced
    proxy.restore()
    _assert_exactly_once(before + during + silent, timeout=60)
    after_silence = time.monotonic() - silenced

    assert after_drop < 60 and after_silence < 60
    assert consumer.poll() is None, "the consumer process must not have been restarted"
    assert processes.log(consumer).count(CONSUMER_READY) >= 3
    print(
        f"\nresumed {after_drop:.1f}s after a drop (3 s outage); a silent connection was noticed after "
        f"{noticed:.1f}s (heartbeat 3 s) and events flowed again {after_silence:.1f}s after it went silent"
    )
