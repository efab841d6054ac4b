"""The health probe: a session is healthy when a test message to its own number is
acknowledged by the phone, not merely because the provider says ``working``."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from django.conf import settings
from django.utils import timezone

from messaging.chat.models import Message, MessageStatus
from messaging.chat.services import message_probe_create
from messaging.sessions.models import Session

# The phone has the message: delivered to (or read on) the device.
ACKNOWLEDGED = frozenset({MessageStatus.DELIVERED, MessageStatus.READ})


class ProbeState(StrEnum):
    HEALTHY = "healthy"
    UNHEALTHY = "unhealthy"
    PENDING = "pending"


@dataclass(frozen=True)
class ProbeResult:
    state: ProbeState
    message_id: str
    message_status: str
    seconds: float | None  # from sending to the acknowledgement, when healthy
    reason: str = ""


def session_probe_start(*, session: Session) -> Message:
    return message_probe_create(session=session)


def probe_result(*, probe: Message, now: datetime | None = None, timeout: float | None = None) -> ProbeResult:
    """Where a probe stands: healthy once acknowledged, unhealthy once failed or too late."""
    now = now or timezone.now()
    timeout = settings.MESSAGING["PROBE_TIMEOUT_SECONDS"] if timeout is None else timeout
    message = Message.objects.get(pk=probe.pk)
    if message.status in ACKNOWLEDGED:
        acknowledged_at = message.delivered_at or message.read_at
        return ProbeResult(
            ProbeState.HEALTHY,
            str(message.pk),
            message.status,
            seconds=(acknowledged_at - message.created_at).total_seconds(),
        )
    if message.status == MessageStatus.FAILED:
        return ProbeResult(ProbeState.UNHEALTHY, str(message.pk), message.status, None, message.error_message)
    if (now - message.created_at).total_seconds() > timeout:
        return ProbeResult(
            ProbeState.UNHEALTHY,
            str(message.pk),
            message.status,
            None,
            f"no acknowledgement within {timeout:g}s",
        )
    return ProbeResult(ProbeState.PENDING, str(message.pk), message.status, None)


def session_probe(
    *, session: Session, timeout: float | None = None, poll_seconds: float = 0.1
) -> ProbeResult:
    """Send the test message and wait (polling the database) for its acknowledgement."""
    probe = session_probe_start(session=session)
    while True:
        result = probe_result(probe=probe, timeout=timeout)
        if result.state is not ProbeState.PENDING:
            return result
        time.sleep(poll_seconds)
