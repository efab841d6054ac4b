"""Event-pipeline gauges on /metrics: outbox backlog from Postgres, queue depths from the broker."""

import re
from datetime import timedelta

import pika
import pytest
from django.utils import timezone

from servicekit.events.metrics import EventsCollector
from servicekit.events.models import OutboxEvent
from servicekit.events.relay import Relay
from servicekit.events.topology import declare_service_queues
from tests.events.conftest import publish_things

pytestmark = pytest.mark.django_db(transaction=True)


def readings(collector: EventsCollector) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in collector.collect()
        for sample in family.samples
    }


@pytest.fixture
def queues(amqp, conf):
    channel = amqp()
    declare_service_queues(channel, conf, ["testsvc.thing.happened"])
    for queue in (conf.queue, conf.dead_letter_queue):
        channel.queue_purge(queue)
    return channel


def test_outbox_backlog_counts_unsent_rows_and_the_age_of_the_oldest(conf, queues):
    OutboxEvent.objects.all().delete()
    publish_things(3)
    OutboxEvent.objects.filter(id=OutboxEvent.objects.order_by("id").first().id).update(
        attempts=2, created_at=timezone.now() - timedelta(minutes=5)
    )

    values = readings(EventsCollector(conf))

    assert values[("events_outbox_pending", ())] == 3
    assert values[("events_outbox_failing", ())] == 1
    assert 299 <= values[("events_outbox_oldest_pending_seconds", ())] < 330

    relay = Relay(conf)
    try:
        relay.drain()
    finally:
        relay.close()
    values = readings(EventsCollector(conf))
    assert values[("events_outbox_pending", ())] == 0
    assert values[("events_outbox_oldest_pending_seconds", ())] == 0


def test_queue_depths_come_from_the_broker(conf, queues):
    for _ in range(2):
        queues.basic_publish("", conf.queue, b"{}", pika.BasicProperties(delivery_mode=2))
    queues.basic_publish("", conf.dead_letter_queue, b"{}", pika.BasicProperties(delivery_mode=2))

    values = readings(EventsCollector(conf))

    assert values[("events_broker_up", ())] == 1
    assert values[("events_queue_messages", (("queue", conf.queue), ("role", "events")))] == 2
    assert (
        values[("events_queue_messages", (("queue", conf.dead_letter_queue), ("role", "dead_letters")))] == 1
    )
    for queue in (conf.queue, conf.dead_letter_queue):
        queues.queue_purge(queue)


def test_an_unreachable_broker_is_a_reading_not_a_failed_scrape(conf):
    from dataclasses import replace

    unreachable = replace(
        conf, broker_url="amqp://guest:guest@127.0.0.1:1/%2F", connection_attempt_timeout_seconds=1
    )

    values = readings(EventsCollector(unreachable))

    assert values[("events_broker_up", ())] == 0
    assert not any(name == "events_queue_messages" for name, _ in values)
    assert ("events_outbox_pending", ()) in values


def test_metrics_endpoint_includes_the_event_gauges(client):
    body = client.get("/metrics").content.decode()

    assert re.search(r"^events_outbox_pending \d+", body, re.M)
    assert re.search(r"^events_broker_up [01]", body, re.M)
