"""The consumer against the real broker (in a thread): batches, retries, dead letters, replay."""

import json
import threading
import uuid

import pika
import pytest
from django.core.management import call_command
from django.db import connections

from servicekit.events.consumer import ATTEMPTS_HEADER, Consumer
from servicekit.events.dlq import DeadLetterQueue
from servicekit.events.envelope import Event, MalformedEvent
from servicekit.events.process import StopFlag
from servicekit.events.relay import Relay
from tests.events.conftest import effects, publish_things, wait_until
from tests.testapp.models import Effect, Switch

pytestmark = pytest.mark.django_db(transaction=True)


class RunningConsumer:
    def __init__(self, conf, **kwargs):
        self.consumer = Consumer(conf=conf, **kwargs)
        self.stop = StopFlag()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        try:
            self.consumer.run(self.stop)
        finally:
            connections.close_all()

    def __enter__(self):
        self.thread.start()
        assert wait_until(lambda: self.consumer.connections, 10), "the consumer did not connect"
        return self.consumer

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(timeout=10)
        self.stop.close()


@pytest.fixture
def relay(conf):
    relay = Relay(conf)
    yield relay
    relay.close()


@pytest.fixture
def dlq(conf):
    dead_letters = DeadLetterQueue(conf)
    yield dead_letters
    dead_letters.purge(None)


def _send_raw(amqp, conf, body, message_id=None, headers=None):
    amqp().basic_publish(
        "",
        conf.queue,
        body,
        pika.BasicProperties(message_id=message_id or str(uuid.uuid4()), delivery_mode=2, headers=headers),
    )


def test_committed_events_are_handled_once_each(conf, relay):
    with RunningConsumer(conf) as consumer:
        ids = publish_things(300, per_transaction=100)
        relay.drain()
        assert wait_until(lambda: len(effects()) == 300, 15)
    assert effects() == {event_id: 1 for event_id in ids}
    assert consumer.stats["handled"] == 300


def test_a_redelivered_message_has_no_second_effect(conf, amqp):
    event = Event.new("testsvc.thing.happened", "s", {"n": 1}, producer="t", correlation_id="c")
    with RunningConsumer(conf) as consumer:
        for _ in range(3):
            _send_raw(amqp, conf, event.to_json().encode(), event.id)
        assert wait_until(lambda: consumer.stats["handled"] + consumer.stats["duplicates"] == 3, 10)
    assert effects() == {event.id: 1}
    assert consumer.stats == {"handled": 1, "duplicates": 2, "retried": 0, "dead_lettered": 0}


def test_a_poison_event_is_retried_with_backoff_then_dead_lettered_and_replayed_once_fixed(
    conf, relay, dlq, capsys
):
    with RunningConsumer(conf) as consumer:
        [poison] = publish_things(1, fail=True)
        healthy = publish_things(5, start=1)
        relay.drain()
        assert wait_until(lambda: consumer.stats["dead_lettered"] == 1, 10)
        assert consumer.stats["retried"] == conf.max_attempts - 1 == 2
        assert effects() == {event_id: 1 for event_id in healthy}  # the poison's effects rolled back

        [letter] = dlq.messages()
        assert (letter.event_id, letter.reason, letter.attempts) == (poison, "handler_failed", 3)
        assert "PoisonError: thing 0 is poison" in letter.error
        call_command("events_dlq", "list")
        assert (
            f"{poison}  testsvc.thing.happened v1  reason=handler_failed attempts=3"
            in capsys.readouterr().out
        )

        Switch.objects.create(name="fixed", is_on=True)
        call_command("events_dlq", "replay", poison)

        assert wait_until(lambda: poison in effects(), 10)
    assert effects()[poison] == 1
    assert dlq.messages() == []


def test_malformed_and_unhandled_messages_go_straight_to_the_dead_letter_queue(conf, amqp, dlq):
    unknown_version = Event.new(
        "testsvc.thing.happened", "s", {"n": 1}, version=9, producer="t", correlation_id="c"
    )
    with RunningConsumer(conf) as consumer:
        _send_raw(amqp, conf, b"{not json", "bad-1")
        _send_raw(amqp, conf, unknown_version.to_json().encode(), unknown_version.id)
        assert wait_until(lambda: consumer.stats["dead_lettered"] == 2, 10)
    assert consumer.stats["retried"] == 0
    assert sorted((m.event_id, m.reason) for m in dlq.messages()) == sorted(
        [("bad-1", "malformed"), (unknown_version.id, "no_handler")]
    )
    assert not Effect.objects.exists()


def test_dlq_show_and_purge(conf, amqp, dlq, capsys):
    event = Event.new("testsvc.thing.happened", "s", {"n": 1}, version=9, producer="t", correlation_id="c")
    with RunningConsumer(conf) as consumer:
        _send_raw(amqp, conf, event.to_json().encode(), event.id)
        assert wait_until(lambda: consumer.stats["dead_lettered"] == 1, 10)

    call_command("events_dlq", "show", event.id)
    shown = capsys.readouterr().out
    assert json.dumps(event.id) in shown and "no handler for testsvc.thing.happened v9" in shown

    call_command("events_dlq", "purge", event.id)
    assert dlq.messages() == []


NESTED_TOO_DEEPLY = b"[" * 100_000


@pytest.mark.parametrize(
    "body",
    [NESTED_TOO_DEEPLY, b'{"data": ' + NESTED_TOO_DEEPLY, b"\xff\xfe", b"1e999999", b"[1, 2]", b"null"],
)
def test_from_json_reports_every_unreadable_body_as_malformed(body):
    with pytest.raises(MalformedEvent):
        Event.from_json(body)


def test_a_body_nested_too_deeply_is_dead_lettered_and_the_consumer_lives_on(conf, amqp, dlq, capsys):
    healthy = Event.new("testsvc.thing.happened", "s", {"n": 1}, producer="t", correlation_id="c")
    running = RunningConsumer(conf)
    with running as consumer:
        _send_raw(amqp, conf, NESTED_TOO_DEEPLY, "nested-1")
        _send_raw(amqp, conf, healthy.to_json().encode(), healthy.id)
        assert wait_until(lambda: consumer.stats["dead_lettered"] == 1 and effects(), 10), consumer.stats
        assert running.thread.is_alive()
        assert consumer.connections == 1  # not even a reconnection
    assert effects() == {healthy.id: 1}

    [letter] = dlq.messages()
    assert (letter.event_id, letter.reason, letter.event) == ("nested-1", "malformed", None)
    assert "nested too deeply" in letter.error
    call_command("events_dlq", "list")
    assert "nested-1  (malformed)  reason=malformed attempts=1" in capsys.readouterr().out
    call_command("events_dlq", "show", "nested-1")
    shown = capsys.readouterr().out
    assert "(not an event envelope) [[[" in shown and "100000 bytes in all" in shown
    assert len(shown) < 10_000
    call_command("events_dlq", "purge", "nested-1")
    assert "purged nested-1" in capsys.readouterr().out
    assert dlq.messages() == []


@pytest.mark.parametrize("attempts", ["many", {"a": 1}, -1, [1]])
def test_a_foreign_attempts_header_is_dead_lettered_as_malformed(conf, amqp, dlq, attempts, capsys):
    event = Event.new("testsvc.thing.happened", "s", {"n": 1}, producer="t", correlation_id="c")
    running = RunningConsumer(conf)
    with running as consumer:
        _send_raw(amqp, conf, event.to_json().encode(), event.id, headers={ATTEMPTS_HEADER: attempts})
        assert wait_until(lambda: consumer.stats["dead_lettered"] == 1, 10), consumer.stats
        assert running.thread.is_alive()
    assert not Effect.objects.exists()
    [letter] = dlq.messages()
    assert (letter.event_id, letter.reason, letter.attempts) == (event.id, "malformed", 1)
    assert ATTEMPTS_HEADER in letter.error
    call_command("events_dlq", "list")
    assert f"{event.id}  testsvc.thing.happened v1  reason=malformed" in capsys.readouterr().out
