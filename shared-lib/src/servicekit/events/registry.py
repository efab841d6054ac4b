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
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any

from servicekit.events.envelope import Event

HandlerFunc = Callable[[Event], Any]


@dataclass(frozen=True)
class Subscription:
    type: str
    version: int
    func: HandlerFunc
    reads: tuple[str, ...]
    name: str

    @property
    def top_level_fields(self) -> frozenset[str]:
        return frozenset(read.rstrip("?").split(".")[0].removesuffix("[]") for read in self.reads)

    def narrow(self, event: Event) -> Event:
        """The event as this handler sees it: only the fields it declared."""
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


class Registry:
    """Subscriptions by event type; several handlers may share a type, never a name."""

    def __init__(self, subscriptions: Iterable[Subscription]) -> None:
        self.subscriptions = tuple(subscriptions)
        self._by_type: dict[str, list[Subscription]] = {}
        seen: set[tuple[str, str]] = set()
        for subscription in self.subscriptions:
            if not isinstance(subscription, Subscription):
                raise TypeError(f"HANDLERS holds subscribe(...) entries, not {subscription!r}")
            key = (subscription.type, subscription.name)
            if key in seen:
                raise ValueError(f"{subscription.name} is subscribed to {subscription.type} twice")
            seen.add(key)
            self._by_type.setdefault(subscription.type, []).append(subscription)

    @property
    def types(self) -> list[str]:
        """The routing keys the service's queue is bound to."""
        return sorted(self._by_type)

    def handlers_for(self, event: Event) -> list[Subscription]:
        return [s for s in self._by_type.get(event.type, []) if s.version == event.version]

    def handles_type(self, type_: str) -> bool:
        return type_ in self._by_type


def load_registry(module_path: str | None = None) -> Registry:
    """The registry of ``<module>.HANDLERS`` (by default the service's ``<service>.handlers``)."""
    if module_path is None:
        from servicekit.events.conf import events_conf

        module_path = events_conf().handlers_module
    module = importlib.import_module(module_path)
    return Registry(module.HANDLERS)
