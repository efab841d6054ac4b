"""Event settings: defaults, overridden by ``EVENTS_*`` environment variables, then by the
``SERVICEKIT_EVENTS`` Django setting (tests use that one).

Every value is documented in ``docs/events.md``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace
from typing import Any

from django.conf import settings


@dataclass(frozen=True)
class EventsConf:
    service: str
    broker_url: str
    exchange: str
    queue: str
    handlers_module: str
    heartbeat_seconds: int = 20
    connection_attempt_timeout_seconds: float = 5.0
    # consumer
    prefetch: int = 300
    retry_delays_seconds: tuple[float, ...] = (1, 5, 30, 120, 600)
    delivery_limit: int = 10
    inbox_retention_days: int = 30
    # relay
    relay_batch_size: int = 500
    relay_lease_seconds: float = 30.0
    relay_publish_timeout_seconds: float = 10.0
    relay_poll_seconds: float = 5.0
    relay_retry_base_seconds: float = 1.0
    relay_retry_max_seconds: float = 60.0
    outbox_retention_hours: float = 72.0
    unrouted_ttl_hours: float = 168.0

    # Names derived from the two roots, so a test run can move the whole topology aside.
    @property
    def dead_letter_exchange(self) -> str:
        return f"{self.queue}.dlx"

    @property
    def dead_letter_queue(self) -> str:
        return f"{self.queue}.dlq"

    @property
    def unrouted_exchange(self) -> str:
        return f"{self.exchange}.unrouted"

    @property
    def unrouted_queue(self) -> str:
        return f"{self.exchange}.unrouted"

    def retry_queue(self, delay_seconds: float) -> str:
        return f"{self.queue}.retry.{int(delay_seconds * 1000)}ms"

    @property
    def max_attempts(self) -> int:
        """Handler attempts before an event is dead-lettered: the first one plus one per delay."""
        return len(self.retry_delays_seconds) + 1


def _from_env(name: str, current: Any) -> Any:
    raw = os.environ.get(f"EVENTS_{name.upper()}")
    if raw is None or not raw.strip():  # empty, as copied from .env.example: the default
        return current
    if isinstance(current, tuple):
        return tuple(float(part) for part in raw.split(",") if part.strip())
    if isinstance(current, bool):
        return raw.lower() in {"1", "true", "yes", "on"}
    return type(current)(raw)


def events_conf() -> EventsConf:
    service = settings.SERVICE_NAME
    conf = EventsConf(
        service=service,
        broker_url=settings.SERVICEKIT["BROKER_URL"],
        exchange="platform.events",
        queue=f"{service}.events",
        handlers_module=f"{service}.handlers",
    )
    conf = replace(
        conf,
        **{f.name: _from_env(f.name, getattr(conf, f.name)) for f in fields(conf) if f.name != "service"},
    )
    overrides = dict(getattr(settings, "SERVICEKIT_EVENTS", {}))
    if "retry_delays_seconds" in overrides:
        overrides["retry_delays_seconds"] = tuple(overrides["retry_delays_seconds"])
    return replace(conf, **overrides)
