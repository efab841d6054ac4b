"""A rollup never interleaves with an increment: each waits for the other's transaction."""

import threading
import time
import uuid

from django.db import connection, transaction

from analytics.usage.models import DailyActivity
from analytics.usage.services import usage_rollup
from servicekit.events.inbox import handle_events
from servicekit.events.registry import load_registry
from tests import events
from tests.conftest import utc

AT = utc(2032, 2, 3, 4)


def _in_thread(target):
    failures = []

    def run():
        try:
            target()
        except Exception as exc:  # reported to the test below
            failures.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, failures


def _advisory_waiters() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
        return cursor.fetchone()[0]


def _wait_until(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_a_rollup_waits_for_an_open_increment_and_then_counts_it_once(committed_partitions):
    user = uuid.uuid4()
    handle_events([events.placed(user, uuid.uuid4(), at=AT)], load_registry())
    counted, release = threading.Event(), threading.Event()

    def increment_and_hold():
        with transaction.atomic():
            handle_events([events.placed(user, uuid.uuid4(), at=AT)], load_registry())
            counted.set()
            release.wait(10)

    incrementer, increment_failures = _in_thread(increment_and_hold)
    assert counted.wait(10)
    rollup, rollup_failures = _in_thread(usage_rollup)

    _wait_until(lambda: _advisory_waiters() == 1)  # the rollup, queued behind the open increment
    assert rollup.is_alive()
    release.set()
    incrementer.join(10)
    rollup.join(10)

    assert not rollup.is_alive() and increment_failures == rollup_failures == []
    assert DailyActivity.objects.get(user_id=user).orders_placed == 2


def test_an_increment_waits_for_a_running_rollup(committed_partitions):
    user = uuid.uuid4()
    handle_events([events.placed(user, uuid.uuid4(), at=AT)], load_registry())
    holding, release = threading.Event(), threading.Event()

    def rollup_and_hold():
        with transaction.atomic():
            usage_rollup()
            holding.set()
            release.wait(10)

    rollup, rollup_failures = _in_thread(rollup_and_hold)
    assert holding.wait(10)
    incrementer, increment_failures = _in_thread(
        lambda: handle_events([events.placed(user, uuid.uuid4(), at=AT)], load_registry())
    )

    _wait_until(lambda: _advisory_waiters() == 1)
    assert DailyActivity.objects.get(user_id=user).orders_placed == 1  # not counted yet
    release.set()
    rollup.join(10)
    incrementer.join(10)

    assert increment_failures == rollup_failures == []
    assert DailyActivity.objects.get(user_id=user).orders_placed == 2
