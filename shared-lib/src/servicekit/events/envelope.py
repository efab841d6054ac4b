"""The event envelope: what travels on the wire, identical for every event type.

{"id": "uuid", "type": "orders.order.placed", "version": 1,
 "occurred_at": "2026-01-01T00:00:00.000000Z", "producer": "orders",
 "subject": "<aggregate id>", "correlation_id": "<request id>",
 "causation_id": "<event id or null>", "data": {...}}
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

ENVELOPE_FIELDS = (
    "id",
    "type",
    "version",
    "occurred_at",
    "producer",
    "subject",
    "correlation_id",
    "causation_id",
    "data",
)


class MalformedEvent(ValueError):
    """A message body that is not an event envelope (never retried: dead-lettered at once)."""


@dataclass(frozen=True)
class Event:
    id: str
    type: str
    version: int
    occurred_at: str
    producer: str
    subject: str
    correlation_id: str | None
    causation_id: str | None
    data: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def new(
        cls,
        type: str,
        subject: str,
        data: dict[str, Any],
        *,
        version: int = 1,
        producer: str,
        correlation_id: str | None,
        causation_id: str | None = None,
    ) -> Event:
        return cls(
            id=str(uuid.uuid4()),
            type=type,
            version=version,
            occurred_at=format_timestamp(datetime.now(UTC)),
            producer=producer,
            subject=str(subject),
            correlation_id=correlation_id,
            causation_id=causation_id,
            data=data,
        )

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in ENVELOPE_FIELDS}

    def occurred_at_datetime(self) -> datetime:
        """``occurred_at`` as an aware datetime (a time without an offset is taken as UTC)."""
        moment = datetime.fromisoformat(self.occurred_at)
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), separators=(",", ":"), ensure_ascii=False, allow_nan=False)

    @classmethod
    def from_dict(cls, raw: Any) -> Event:
        if not isinstance(raw, dict):
            raise MalformedEvent("an event is a JSON object")
        missing = [name for name in ENVELOPE_FIELDS if name not in raw]
        if missing:
            raise MalformedEvent(f"missing envelope fields: {', '.join(missing)}")
        if not isinstance(raw["data"], dict):
            raise MalformedEvent("data must be an object")
        if not isinstance(raw["version"], int) or not isinstance(raw["type"], str):
            raise MalformedEvent("type must be a string and version an integer")
        if not all(isinstance(raw[name], str) for name in ("subject", "producer", "occurred_at")):
            raise MalformedEvent("subject, producer and occurred_at must be strings")
        if not all(isinstance(raw[name], str | None) for name in ("correlation_id", "causation_id")):
            raise MalformedEvent("correlation_id and causation_id must be strings or null")
        try:
            event_id = str(uuid.UUID(str(raw["id"])))  # canonical form: the inbox key compares as text
        except ValueError as exc:
            raise MalformedEvent("id must be a UUID") from exc
        return cls(**{**{name: raw[name] for name in ENVELOPE_FIELDS}, "id": event_id})

    @classmethod
    def from_json(cls, body: bytes | str) -> Event:
        """Parse a message body; anything that is not an event envelope is :class:`MalformedEvent`.

        Bodies come from the broker, so from anyone who can publish: whatever the parser
        raises (invalid JSON or UTF-8, nesting deep enough for ``RecursionError``, a number
        too large, …) is reported as malformed, never let through to crash the consumer."""
        try:
            raw = json.loads(body)
        except RecursionError:
            raise MalformedEvent("not JSON: nested too deeply") from None
        except Exception as exc:
            raise MalformedEvent(f"not JSON: {_short(exc)}") from exc
        return cls.from_dict(raw)


def _short(exc: BaseException, limit: int = 200) -> str:
    text = str(exc)
    return text if len(text) <= limit else text[:limit] + "…"


def format_timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
