"""Events as their producers publish them (shapes from contracts/events/; messaging.* and
builds.* as their issues name them, with the fields analytics reads), at chosen times."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from servicekit.events import Event
from servicekit.events.envelope import format_timestamp


def event(
    type_: str,
    data: dict[str, Any],
    *,
    at: datetime,
    subject: str | uuid.UUID = "subject-1",
    version: int = 1,
    event_id: str | None = None,
) -> Event:
    return Event(
        id=event_id or str(uuid.uuid4()),
        type=type_,
        version=version,
        occurred_at=format_timestamp(at),
        producer=type_.split(".")[0],
        subject=str(subject),
        correlation_id="test-correlation",
        causation_id=None,
        data=data,
    )


def registered(user: uuid.UUID, *, at: datetime) -> Event:
    return event(
        "identity.user.registered",
        {
            "user_id": str(user),
            "email": f"{user.hex[:8]}@example.com",
            "roles": ["customer"],
            "is_active": True,
            "email_verified": False,
            "verification_url": None,
            "verification_expires_at": None,
        },
        at=at,
        subject=user,
    )


def placed(
    user: uuid.UUID, order: uuid.UUID, *, at: datetime, total: str = "10.00", currency: str = "USD"
) -> Event:
    line = {"product_id": str(uuid.uuid4()), "quantity": 1, "unit_price": total, "currency": currency}
    data = {
        "order_id": str(order),
        "user_id": str(user),
        "lines": [line],
        "total": total,
        "currency": currency,
    }
    return event("orders.order.placed", data, at=at, subject=order)


def paid(
    user: uuid.UUID, order: uuid.UUID, *, at: datetime, amount: str = "10.00", currency: str = "USD"
) -> Event:
    data = {
        "order_id": str(order),
        "user_id": str(user),
        "amount": amount,
        "currency": currency,
        "payment_id": str(uuid.uuid4()),
        "lines": [{"product_id": str(uuid.uuid4()), "quantity": 1}],
    }
    return event("orders.order.paid", data, at=at, subject=order)


def refunded(
    user: uuid.UUID, order: uuid.UUID, *, at: datetime, amount: str = "10.00", currency: str = "USD"
) -> Event:
    data = {
        "order_id": str(order),
        "user_id": str(user),
        "payment_id": str(uuid.uuid4()),
        "refund_id": str(uuid.uuid4()),
        "amount": amount,
        "currency": currency,
        "reason": "order_cancelled",
        "refunded_at": format_timestamp(at),
    }
    return event("orders.payment.refunded", data, at=at, subject=order)


def rejected(user: uuid.UUID, order: uuid.UUID, *, at: datetime) -> Event:
    data = {"order_id": str(order), "user_id": str(user), "reason": "out_of_stock", "failed_lines": []}
    return event("orders.order.rejected", data, at=at, subject=order)


def message_sent(user: uuid.UUID, message: uuid.UUID, *, at: datetime, kind: str = "text") -> Event:
    return event("messaging.message.sent", {"user_id": str(user), "kind": kind}, at=at, subject=message)


def message_delivered(message: uuid.UUID, *, at: datetime, read: bool = False) -> Event:
    type_ = "messaging.message.read" if read else "messaging.message.delivered"
    return event(type_, {"message_id": str(message)}, at=at, subject=message)


def build_published(user: uuid.UUID, build: uuid.UUID, *, at: datetime) -> Event:
    return event("builds.build.published", {"creator": {"user_id": str(user)}}, at=at, subject=build)


def build_failed(build: uuid.UUID, *, at: datetime) -> Event:
    return event("builds.build.failed", {"build_id": str(build)}, at=at, subject=build)
