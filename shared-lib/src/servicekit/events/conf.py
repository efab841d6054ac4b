"""Event settings: ``SERVICEKIT["EVENTS"]``, which ``servicekit.settings.base`` reads from the
``EVENTS_*`` environment variables, as one typed value.

Every value is documented in ``docs/events.md``.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class EventsConf:
    service: str
    broker_url: str
    exchange: str
    queue: str
    handlers_module: str
    heartbeat_seconds: int
    connection_attempt_timeout_seconds: float
    # consumer
    prefetch: int
    retry_delays_seconds: tuple[float, ...]
    delivery_limit: int
    inbox_retention_days: int
    # relay
    relay_batch_size: int
    relay_lease_seconds: float
    relay_publish_timeout_seconds: float
    relay_poll_seconds: float
    relay_retry_base_seconds: float
    relay_retry_max_seconds: float
    outbox_retention_hours: float
    unrouted_ttl_hours: float

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


def events_conf() -> EventsConf:
    return EventsConf(
        service=settings.SERVICE_NAME,
        broker_url=settings.SERVICEKIT["BROKER_URL"],
        **settings.SERVICEKIT["EVENTS"],
    )
