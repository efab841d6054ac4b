"""Event-pipeline gauges on the service's ``/metrics``, read at scrape time.

The relay and the consumer are separate processes without an HTTP port, so instead of
counters inside them the web process reports what an operator alerts on: the outbox backlog
(is the relay keeping up, is something failing to publish) and the depth of the service's
queues (is the consumer keeping up, is anything dead-lettered). Broker figures come from
passive declarations, cached for a few seconds so that frequent scrapes cost one
connection per interval; a broker that does not answer turns ``events_broker_up`` to 0
instead of failing the scrape.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator

import pika
from django.db import connection, transaction
from prometheus_client import CollectorRegistry
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from servicekit.events.conf import EventsConf, events_conf
from servicekit.events.tables import OUTBOX_TABLE
from servicekit.events.topology import connection_parameters

logger = logging.getLogger(__name__)

BROKER_CACHE_SECONDS = 10.0
BROKER_TIMEOUT_SECONDS = 2.0
DATABASE_TIMEOUT_MS = 2000


def outbox_backlog() -> tuple[int, int, float]:
    """(unsent rows, unsent rows that failed at least once, age in seconds of the oldest)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL statement_timeout = {DATABASE_TIMEOUT_MS}")
        cursor.execute(
            f"SELECT count(*), count(*) FILTER (WHERE attempts > 0),"
            f" COALESCE(EXTRACT(EPOCH FROM now() - min(created_at)), 0)"
            f" FROM {OUTBOX_TABLE} WHERE sent_at IS NULL"
        )
        pending, failing, oldest = cursor.fetchone()
    return int(pending), int(failing), float(oldest)


def queue_depths(conf: EventsConf, timeout: float = BROKER_TIMEOUT_SECONDS) -> dict[str, int]:
    """Ready messages in the service's queue and its dead-letter queue (passive: creates nothing)."""
    params = connection_parameters(conf, "metrics")
    params.socket_timeout = timeout
    params.stack_timeout = timeout * 2
    params.blocked_connection_timeout = timeout
    depths: dict[str, int] = {}
    broker = pika.BlockingConnection(params)
    try:
        for queue in (conf.queue, conf.dead_letter_queue):
            channel = broker.channel()
            try:
                depths[queue] = channel.queue_declare(queue, passive=True).method.message_count
            except pika.exceptions.ChannelClosedByBroker:  # not declared yet: no consumer has started
                depths[queue] = 0
    finally:
        if broker.is_open:
            broker.close()
    return depths


class EventsCollector(Collector):
    def __init__(self, conf: EventsConf | None = None) -> None:
        self._conf = conf
        self._lock = threading.Lock()
        self._broker_read_at = float("-inf")
        self._broker: dict[str, int] | None = None

    @property
    def conf(self) -> EventsConf:
        return self._conf or events_conf()

    def _broker_depths(self) -> dict[str, int] | None:
        with self._lock:
            if time.monotonic() - self._broker_read_at >= BROKER_CACHE_SECONDS:
                try:
                    self._broker = queue_depths(self.conf)
                except Exception as exc:  # any broker failure is a reading, not a scrape error
                    logger.warning("events metrics: broker unreachable: %s", exc)
                    self._broker = None
                self._broker_read_at = time.monotonic()
            return self._broker

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            pending, failing, oldest = outbox_backlog()
        except Exception as exc:
            logger.warning("events metrics: outbox unreadable: %s", exc)
        else:
            yield GaugeMetricFamily("events_outbox_pending", "Outbox rows not yet published", value=pending)
            yield GaugeMetricFamily(
                "events_outbox_failing", "Unpublished outbox rows that failed at least once", value=failing
            )
            yield GaugeMetricFamily(
                "events_outbox_oldest_pending_seconds",
                "Age of the oldest unpublished outbox row (0 when none)",
                value=oldest,
            )

        depths = self._broker_depths()
        yield GaugeMetricFamily(
            "events_broker_up", "1 if the broker answered the last reading", value=int(depths is not None)
        )
        if depths is not None:
            queues = GaugeMetricFamily(
                "events_queue_messages",
                "Messages ready in the service's event queues",
                labels=["queue", "role"],
            )
            conf = self.conf
            queues.add_metric([conf.queue, "events"], depths.get(conf.queue, 0))
            queues.add_metric([conf.dead_letter_queue, "dead_letters"], depths.get(conf.dead_letter_queue, 0))
            yield queues


_registry: CollectorRegistry | None = None
_registry_lock = threading.Lock()


def events_registry() -> CollectorRegistry:
    """One registry per process holding the collector (so its broker cache is shared)."""
    global _registry
    with _registry_lock:
        if _registry is None:
            _registry = CollectorRegistry(auto_describe=False)
            _registry.register(EventsCollector())
        return _registry
