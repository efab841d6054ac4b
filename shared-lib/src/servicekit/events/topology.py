"""The broker topology, declared idempotently by every relay and consumer at start.

    platform.events            durable topic exchange, routing key = event type;
                               alternate exchange: platform.events.unrouted
    platform.events.unrouted   fanout → quorum queue of the same name (TTL): events no queue
                               is bound to are kept for inspection instead of vanishing
    <service>.events           quorum queue bound to the types the service handles;
                               delivery limit (crash loops), dead-letters to <service>.events.dlx
    <service>.events.dlx       fanout → <service>.events.dlq (quorum): poison events
    <service>.events.retry.Nms quorum queues holding failed events for N ms, then dead-lettering
                               them back to <service>.events (handler retry with backoff)

Declaring an existing queue or exchange with different arguments fails (PRECONDITION_FAILED),
so a successful declaration is also an audit of what exists.
"""

from __future__ import annotations

from typing import Any

import pika

from servicekit.events.conf import EventsConf


def connection_parameters(conf: EventsConf, role: str, url: str | None = None) -> pika.URLParameters:
    params = pika.URLParameters(url or conf.broker_url)
    params.heartbeat = conf.heartbeat_seconds
    params.blocked_connection_timeout = max(conf.heartbeat_seconds * 2, 30)
    params.connection_attempts = 1
    params.socket_timeout = conf.connection_attempt_timeout_seconds
    params.stack_timeout = conf.connection_attempt_timeout_seconds * 2
    params.client_properties = {"connection_name": f"{conf.service}-{role}", "product": "servicekit.events"}
    return params


def exchange_arguments(conf: EventsConf) -> dict[str, Any]:
    return {"alternate-exchange": conf.unrouted_exchange}


def queue_arguments(conf: EventsConf) -> dict[str, Any]:
    return {
        "x-queue-type": "quorum",
        "x-delivery-limit": conf.delivery_limit,
        "x-dead-letter-exchange": conf.dead_letter_exchange,
        "x-dead-letter-strategy": "at-least-once",
        "x-overflow": "reject-publish",
    }


def dead_letter_queue_arguments(conf: EventsConf) -> dict[str, Any]:
    return {"x-queue-type": "quorum"}


def retry_queue_arguments(conf: EventsConf, delay_seconds: float) -> dict[str, Any]:
    return {
        "x-queue-type": "quorum",
        "x-message-ttl": int(delay_seconds * 1000),
        "x-dead-letter-exchange": "",  # the default exchange: straight back to the service's queue
        "x-dead-letter-routing-key": conf.queue,
        "x-dead-letter-strategy": "at-least-once",
        "x-overflow": "reject-publish",
    }


def unrouted_queue_arguments(conf: EventsConf) -> dict[str, Any]:
    return {"x-queue-type": "quorum", "x-message-ttl": int(conf.unrouted_ttl_hours * 3600 * 1000)}


def declare_exchange(channel: Any, conf: EventsConf) -> None:
    """The shared exchange and its alternate exchange (what every producer needs)."""
    channel.exchange_declare(conf.unrouted_exchange, exchange_type="fanout", durable=True)
    channel.queue_declare(conf.unrouted_queue, durable=True, arguments=unrouted_queue_arguments(conf))
    channel.queue_bind(conf.unrouted_queue, conf.unrouted_exchange)
    channel.exchange_declare(
        conf.exchange, exchange_type="topic", durable=True, arguments=exchange_arguments(conf)
    )


def declare_service_queues(channel: Any, conf: EventsConf, types: list[str]) -> None:
    """The service's queue bound to ``types``, its dead-letter exchange and queue, its retry queues."""
    declare_exchange(channel, conf)
    channel.exchange_declare(conf.dead_letter_exchange, exchange_type="fanout", durable=True)
    channel.queue_declare(conf.dead_letter_queue, durable=True, arguments=dead_letter_queue_arguments(conf))
    channel.queue_bind(conf.dead_letter_queue, conf.dead_letter_exchange)
    channel.queue_declare(conf.queue, durable=True, arguments=queue_arguments(conf))
    for type_ in types:
        channel.queue_bind(conf.queue, conf.exchange, routing_key=type_)
    for delay in conf.retry_delays_seconds:
        channel.queue_declare(
            conf.retry_queue(delay), durable=True, arguments=retry_queue_arguments(conf, delay)
        )


def service_queue_names(conf: EventsConf) -> list[str]:
    return [conf.queue, conf.dead_letter_queue, *(conf.retry_queue(d) for d in conf.retry_delays_seconds)]


def delete_topology(channel: Any, conf: EventsConf) -> None:
    """Remove everything declared above (tests and benchmarks use throwaway names)."""
    for queue in [*service_queue_names(conf), conf.unrouted_queue]:
        channel.queue_delete(queue)
    for exchange in [conf.exchange, conf.dead_letter_exchange, conf.unrouted_exchange]:
        channel.exchange_delete(exchange)
