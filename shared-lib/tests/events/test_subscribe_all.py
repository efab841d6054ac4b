"""subscribe_all: one handler for every event, of every type and version, whole; its queue bound
to every routing key on the real broker."""

import dataclasses
import time

import pika
import pytest

from servicekit.events import Event, Registry, subscribe, subscribe_all
from servicekit.events.inbox import handle_events
from servicekit.events.models import InboxEvent
from servicekit.events.registry import load_registry
from servicekit.events.topology import declare_service_queues, service_queue_names
from servicekit.testing.contracts import contract_problems
from tests.testapp.models import Effect


def _keep(seen):
    def keep_event(event):
        seen.append(event)

    return keep_event


def _event(type_, version=1, **data):
    return Event.new(type_, "s-1", data, version=version, producer="t", correlation_id="c-1")


def test_the_registry_binds_every_routing_key_and_hands_over_every_event():
    seen = []
    registry = Registry(
        [
            subscribe("a.b.c", lambda e: None, reads=["x"], name="typed"),
            subscribe_all(_keep(seen), name="all"),
        ]
    )

    assert registry.types == ["a.b.c", "#"]
    assert registry.handles_type("never.heard.of") and registry.handles_type("a.b.c")
    event = _event("a.b.c", x=1)
    assert [s.name for s in registry.handlers_for(event)] == ["typed", "all"]
    assert [s.name for s in registry.handlers_for(_event("other.thing.done", version=7))] == ["all"]
    assert registry.handlers_for(event)[1].narrow(event).data == {"x": 1}


def test_a_typed_registry_is_unchanged_by_the_capability():
    registry = Registry([subscribe("a.b.c", lambda e: None, reads=["x"], name="typed")])
    assert registry.types == ["a.b.c"]
    assert registry.handlers_for(_event("other.thing.done")) == []
    assert not registry.handles_type("other.thing.done")


@pytest.mark.parametrize("type_", ["#", "orders.#", "orders.*.placed"])
def test_subscribe_refuses_a_pattern_for_a_type(type_):
    with pytest.raises(ValueError, match="subscribe_all"):
        subscribe(type_, lambda e: None, reads=["x"])


def test_a_catch_all_handler_gets_whole_events_of_any_type_once_per_event(db):
    seen = []
    registry = Registry([*load_registry().subscriptions, subscribe_all(_keep(seen), name="testapp.keep_all")])
    typed = _event("testsvc.thing.happened", n=1, note="not declared by the typed handler")
    stranger = _event("nobody.else.cares", version=3, deep={"a": [1, 2]})

    outcomes = handle_events([typed, stranger], registry)
    again = handle_events([typed, stranger], registry)  # a redelivery

    assert [(o.handled, o.ok) for o in outcomes] == [
        (["testapp.record_effect", "testapp.keep_all"], True),
        (["testapp.keep_all"], True),
    ]
    assert [o.duplicates for o in again] == [
        ["testapp.record_effect", "testapp.keep_all"],
        ["testapp.keep_all"],
    ]
    assert [(e.type, e.version, e.data) for e in seen] == [
        ("testsvc.thing.happened", 1, {"n": 1, "note": "not declared by the typed handler"}),
        ("nobody.else.cares", 3, {"deep": {"a": [1, 2]}}),
    ]
    assert Effect.objects.get().count == 1
    assert InboxEvent.objects.filter(handler="testapp.keep_all").count() == 2


def test_the_contract_test_leaves_a_catch_all_handler_out():
    assert contract_problems([subscribe_all(lambda e: None, name="all")]) == []


@pytest.fixture
def catch_all_conf(conf, amqp):
    """A second service's queues on this run's exchange, bound to every routing key."""
    catch_all = dataclasses.replace(conf, queue=f"{conf.queue}.all")
    yield catch_all
    channel = amqp()
    for queue in service_queue_names(catch_all):
        channel.queue_delete(queue)
    channel.exchange_delete(catch_all.dead_letter_exchange)


def test_a_catch_all_queue_receives_events_of_every_type_from_the_broker(amqp, conf, catch_all_conf):
    channel = amqp()
    registry = Registry([subscribe_all(lambda e: None, name="all")])
    declare_service_queues(channel, catch_all_conf, registry.types)
    channel.queue_purge(conf.unrouted_queue)

    for type_ in ("orders.order.placed", "nobody.listens.here", "x.y.z"):
        channel.basic_publish(
            conf.exchange, type_, b"{}", pika.BasicProperties(delivery_mode=2, message_id=type_)
        )

    got = []
    deadline = time.monotonic() + 5
    while len(got) < 3 and time.monotonic() < deadline:
        method, properties, _ = channel.basic_get(catch_all_conf.queue, auto_ack=True)
        if method is None:
            channel.connection.sleep(0.05)
        else:
            got.append(properties.message_id)
    assert sorted(got) == ["nobody.listens.here", "orders.order.placed", "x.y.z"]
    channel.connection.sleep(0.2)  # an unrouted copy would have arrived by now
    assert channel.queue_declare(conf.unrouted_queue, passive=True).method.message_count == 0
