"""Events between services: outbox, relay, consumer with inbox, handler registry, topology.

Producing (inside the transaction of the change)::

    from servicekit.events import publish

    with transaction.atomic():
        order = Order.objects.create(...)
        publish("orders.order.placed", order.id, {"order_id": str(order.id), ...})

Consuming (``<service>/handlers.py``, the one explicit registry)::

    from servicekit.events import BUILTIN_HANDLERS, subscribe

    HANDLERS = [*BUILTIN_HANDLERS, subscribe("orders.order.placed", reserve_stock, reads=["order_id"])]

Processes: ``manage.py relay_events`` (outbox → broker), ``manage.py consume_events``
(broker → handlers), ``manage.py events_dlq list|show|replay|purge``. Design and
guarantees: ``docs/events.md``.
"""

from servicekit.events.builtin import BUILTIN_HANDLERS
from servicekit.events.envelope import Event, MalformedEvent
from servicekit.events.outbox_writer import PublishOutsideTransaction, current_event, publish
from servicekit.events.registry import Registry, Subscription, load_registry, subscribe, subscribe_all
from servicekit.events.schemas import InvalidEventPayload, UnknownEventType

__all__ = [
    "BUILTIN_HANDLERS",
    "Event",
    "InvalidEventPayload",
    "MalformedEvent",
    "PublishOutsideTransaction",
    "Registry",
    "Subscription",
    "UnknownEventType",
    "current_event",
    "load_registry",
    "publish",
    "subscribe",
    "subscribe_all",
]
