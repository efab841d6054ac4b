"""The explicit handler registry: each service lists its subscriptions in ``<service>/handlers.py``
(``services/orders/orders/handlers.py``)::

    from orders.ordering.handlers import on_stock_reserved
    from servicekit.events import BUILTIN_HANDLERS, subscribe

    HANDLERS = [
        *BUILTIN_HANDLERS,
        subscribe("catalog.stock.reserved", on_stock_reserved, reads=["order_id"]),
    ]

``reads`` lists the payload fields the handler uses (``items[].product_id`` reaches into an
array, ``shipping.city`` into an object, a trailing ``?`` marks a field the producer may leave
out). The handler receives only those top-level fields, and the contract test checks that
each exists in the producer's schema: the consumer's narrow copy of the event.

A service that keeps every event (an event store, an audit trail) subscribes once with
``subscribe_all(func)``: its queue is bound to every routing key (``#``) and the handler
receives each event whole, of every type and version, beside the typed subscriptions.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any

from servicekit.events.envelope import Event

HandlerFunc = Callable[[Event], Any]

# The topic exchange's "every routing key": the type of a subscribe_all(...) subscription.
ALL_TYPES = "#"
ANY_VERSION = 0


@dataclass(frozen=True)
class Subscription:
    type: str
    version: int
    func: HandlerFunc
    reads: tuple[str, ...]
    name: str

    @property
    def takes_every_event(self) -> bool:
        return self.type == ALL_TYPES

    @property
    def top_level_fields(self) -> frozenset[str]:
        return frozenset(read.rstrip("?").split(".")[0].removesuffix("[]") for read in self.reads)

    def narrow(self, event: Event) -> Event:
        """The event as this handler sees it: only the fields it declared (all of them for a
        ``subscribe_all`` handler, which keeps events rather than acting on their fields)."""
        if self.takes_every_event:
            return event
        wanted = self.top_level_fields
        return replace(event, data={key: value for key, value in event.data.items() if key in wanted})


def subscribe(
    type: str,
    func: HandlerFunc,
    *,
    reads: Iterable[str],
    version: int = 1,
    name: str | None = None,
) -> Subscription:
    """Subscribe ``func`` to ``type`` (at ``version``). ``name`` keys the inbox; it defaults to
    the function's dotted path, so give one explicitly before renaming a handler."""
    if "#" in type or "*" in type:
        raise ValueError(f"{type!r}: subscribe to one event type; subscribe_all(...) takes every event")
    if isinstance(reads, str):
        raise TypeError("reads is a list of field paths, e.g. reads=['order_id']")
    reads = tuple(reads)
    if not all(isinstance(read, str) and read for read in reads):
        raise TypeError("reads is a list of field paths, e.g. reads=['order_id']")
    return Subscription(
        type=type,
        version=version,
        func=func,
        reads=reads,
        name=name or f"{func.__module__}.{func.__qualname__}",
    )


def subscribe_all(func: HandlerFunc, *, name: str | None = None) -> Subscription:
    """Subscribe ``func`` to every event of every type and version, handed over whole.

    For a consumer whose job is the events themselves (analytics' event store), not their
    meaning: it reads no field, so no contract binds it to a producer's schema. ``name`` keys
    the inbox as for :func:`subscribe`."""
    return Subscription(
        type=ALL_TYPES,
        version=ANY_VERSION,
        func=func,
        reads=(),
        name=name or f"{func.__module__}.{func.__qualname__}",
    )


class Registry:
    """Subscriptions by event type; several handlers may share a type, never a name."""

    def __init__(self, subscriptions: Iterable[Subscription]) -> None:
        self.subscriptions = tuple(subscriptions)
        self._by_type: dict[str, list[Subscription]] = {}
        self._every_event: list[Subscription] = []
        seen: set[tuple[str, str]] = set()
        for subscription in self.subscriptions:
            if not isinstance(subscription, Subscription):
                raise TypeError(f"HANDLERS holds subscribe(...) entries, not {subscription!r}")
            key = (subscription.type, subscription.name)
            if key in seen:
                raise ValueError(f"{subscription.name} is subscribed to {subscription.type} twice")
            seen.add(key)
            if subscription.takes_every_event:
                self._every_event.append(subscription)
            else:
                self._by_type.setdefault(subscription.type, []).append(subscription)

    @property
    def types(self) -> list[str]:
        """The routing keys the service's queue is bound to (``#`` alone takes every type)."""
        return sorted(self._by_type) + ([ALL_TYPES] if self._every_event else [])

    def handlers_for(self, event: Event) -> list[Subscription]:
        typed = [s for s in self._by_type.get(event.type, []) if s.version == event.version]
        return typed + self._every_event

    def handles_type(self, type_: str) -> bool:
        return type_ in self._by_type or bool(self._every_event)


def load_registry(module_path: str | None = None) -> Registry:
    """The registry of ``<module>.HANDLERS`` (by default the service's ``<service>.handlers``)."""
    if module_path is None:
        from servicekit.events.conf import events_conf

        module_path = events_conf().handlers_module
    module = importlib.import_module(module_path)
    return Registry(module.HANDLERS)
