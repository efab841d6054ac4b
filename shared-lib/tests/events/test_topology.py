"""Audit of the topology on the real broker: what is declared, with which arguments, and
whether messages actually flow along it (routing, unrouted, dead-lettering, retry, limit)."""

import time

import pika
import pytest

from servicekit.events import topology
from servicekit.events.registry import load_registry


@pytest.fixture
def channel(amqp, conf):
    channel = amqp()
    topology.declare_service_queues(channel, conf, load_registry(conf.handlers_module).types)
    for queue in [*topology.service_queue_names(conf), conf.unrouted_queue]:
        channel.queue_purge(queue)
    return channel


def _wait_for_message(channel, queue, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        method, properties, body = channel.basic_get(queue, auto_ack=False)
        if method is not None:
            return method, properties, body
        channel.connection.sleep(0.05)
    raise AssertionError(f"nothing arrived in {queue} within {timeout}s")


def _publish(channel, exchange, routing_key, body=b"{}", **properties):
    channel.basic_publish(exchange, routing_key, body, pika.BasicProperties(delivery_mode=2, **properties))


def test_declaring_again_is_idempotent_and_arguments_are_as_designed(channel, conf, amqp):
    types = load_registry(conf.handlers_module).types
    topology.declare_service_queues(channel, conf, types)  # a second start changes nothing

    # Re-declaring with the expected arguments succeeds only if the existing entity matches
    # them exactly (durable, type, arguments); passive declares prove the rest exist.
    channel.exchange_declare(
        conf.exchange, "topic", durable=True, arguments=topology.exchange_arguments(conf)
    )
    channel.queue_declare(conf.queue, durable=True, arguments=topology.queue_arguments(conf))
    channel.queue_declare(conf.dead_letter_queue, durable=True, arguments={"x-queue-type": "quorum"})
    for delay in conf.retry_delays_seconds:
        channel.queue_declare(
            conf.retry_queue(delay), durable=True, arguments=topology.retry_queue_arguments(conf, delay)
        )
    channel.exchange_declare(conf.dead_letter_exchange, "fanout", passive=True)
    channel.exchange_declare(conf.unrouted_exchange, "fanout", passive=True)

    assert topology.queue_arguments(conf) == {
        "x-queue-type": "quorum",
        "x-delivery-limit": conf.delivery_limit,
        "x-dead-letter-exchange": conf.dead_letter_exchange,
        "x-dead-letter-strategy": "at-least-once",
        "x-overflow": "reject-publish",
    }
    # ... and a queue of another kind under the same name is refused: it really is quorum.
    other = amqp()
    with pytest.raises(pika.exceptions.ChannelClosedByBroker, match="PRECONDITION_FAILED"):
        other.queue_declare(conf.queue, durable=True, arguments={"x-queue-type": "classic"})


def test_handled_types_reach_the_service_queue_and_others_the_unrouted_queue(channel, conf):
    _publish(channel, conf.exchange, "testsvc.thing.happened", message_id="handled")
    _publish(channel, conf.exchange, "identity.api_key.revoked", message_id="builtin")
    _publish(channel, conf.exchange, "nobody.listens.here", message_id="unrouted")

    got = {_wait_for_message(channel, conf.queue)[1].message_id for _ in range(2)}
    assert got == {"handled", "builtin"}
    assert _wait_for_message(channel, conf.unrouted_queue)[1].message_id == "unrouted"
    assert channel.queue_declare(conf.queue, passive=True).method.message_count == 0


def test_rejected_messages_are_dead_lettered(channel, conf):
    _publish(channel, conf.exchange, "testsvc.thing.happened", message_id="poison")
    method, _, _ = _wait_for_message(channel, conf.queue)
    channel.basic_nack(method.delivery_tag, requeue=False)

    method, properties, _ = _wait_for_message(channel, conf.dead_letter_queue)
    assert properties.message_id == "poison"
    assert properties.headers["x-death"][0]["queue"] == conf.queue
    channel.basic_ack(method.delivery_tag)


def test_a_message_redelivered_past_the_delivery_limit_is_dead_lettered(channel, conf):
    _publish(channel, conf.exchange, "testsvc.thing.happened", message_id="crash-loop")
    for _ in range(conf.delivery_limit + 1):  # a consumer crashing on it, again and again
        method, _, _ = _wait_for_message(channel, conf.queue)
        channel.basic_nack(method.delivery_tag, requeue=True)

    method, properties, _ = _wait_for_message(channel, conf.dead_letter_queue)
    assert properties.message_id == "crash-loop"
    channel.basic_ack(method.delivery_tag)


def test_retry_queues_hold_a_message_for_their_delay_then_return_it(channel, conf):
    delay = conf.retry_delays_seconds[0]
    sent = time.monotonic()
    _publish(channel, "", conf.retry_queue(delay), message_id="retry-me")

    method, properties, _ = _wait_for_message(channel, conf.queue)
    assert properties.message_id == "retry-me"
    assert time.monotonic() - sent >= delay * 0.9
    channel.basic_ack(method.delivery_tag)
