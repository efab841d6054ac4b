"""The built-in ``loopback`` provider: a phone simulated inside the service, for development.

Starting a session asks for a QR scan at once; :meth:`LoopbackProvider.simulate_scan` plays the
user scanning the code, and the session turns ``working`` a moment later. A sent message is
acknowledged by the server at once, delivered after ``LOOPBACK_DELIVERY_SECONDS`` and read
after ``LOOPBACK_READ_SECONDS``. Every change arrives the way WAHA's would: a webhook signed
with the service's webhook secret, handed by a Celery task (with a countdown) to the same
function the webhook endpoint calls, so the whole receiving path is exercised.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.conf import settings

from messaging.providers import waha_format
from messaging.providers.base import (
    Ack,
    MessagingProvider,
    OutgoingMedia,
    SentMessage,
    SessionInfo,
    SessionState,
    WebhookType,
)

# Spanish mobile numbers (+34 6xx xxx xxx): valid E.164 numbers nobody is reached at through here.
_NUMBER_PREFIX = "+346"
_NUMBER_DIGITS = 8


def loopback_phone_number(session_name: str) -> str:
    """The number the loopback phone of ``session_name`` logs in with (stable per session)."""
    digest = int(hashlib.sha256(session_name.encode()).hexdigest(), 16)
    return f"{_NUMBER_PREFIX}{digest % 10**_NUMBER_DIGITS:0{_NUMBER_DIGITS}d}"


class LoopbackProvider(MessagingProvider):
    name = "loopback"

    @classmethod
    def from_settings(cls) -> LoopbackProvider:
        return cls()

    def start_session(self, *, session_name: str) -> SessionInfo:
        return SessionInfo(state=SessionState.SCAN_QR_CODE)

    def stop_session(self, *, session_name: str) -> None:
        """Nothing runs on a loopback phone that would need stopping."""

    def logout_session(self, *, session_name: str) -> None:
        """The next start asks for a new scan anyway."""

    def qr_value(self, *, session_name: str) -> str:
        return f"loopback:{session_name}:{secrets.token_urlsafe(16)}"

    def simulate_scan(self, *, session_name: str) -> None:
        """The user scanned the code: the phone logs in and the session reports ``working``."""
        _emit(
            WebhookType.SESSION_STATUS,
            session_name,
            {"status": "WORKING"},
            delay=settings.MESSAGING["LOOPBACK_SCAN_SECONDS"],
        )

    def send_text(self, *, session_name: str, to: str, text: str) -> SentMessage:
        return self._accept(session_name, to)

    def send_media(self, *, session_name: str, to: str, media: OutgoingMedia, caption: str) -> SentMessage:
        return self._accept(session_name, to)

    def _accept(self, session_name: str, to: str) -> SentMessage:
        message_id = f"true_{waha_format.chat_id(to)}_{secrets.token_hex(10).upper()}"
        conf = settings.MESSAGING
        for ack, delay in (
            (Ack.SERVER, 0.0),
            (Ack.DEVICE, conf["LOOPBACK_DELIVERY_SECONDS"]),
            (Ack.READ, conf["LOOPBACK_READ_SECONDS"]),
        ):
            payload = {
                "id": message_id,
                "to": waha_format.chat_id(to),
                "fromMe": True,
                "ack": int(ack),
                "ackName": ack.name,
            }
            _emit(WebhookType.MESSAGE_ACK, session_name, payload, delay=delay)
        return SentMessage(provider_message_id=message_id)


def _emit(webhook_type: WebhookType, session_name: str, payload: dict[str, Any], *, delay: float) -> None:
    from messaging.providers.tasks import deliver_loopback_webhook

    # Sent at once, and a broker that is down raises, which loses nothing: the simulated scan
    # writes nothing (its request answers 503 and the user scans again), and a send runs in
    # message_deliver's transaction, which rolls back with the message still queued and never
    # attempted, so messages_dispatch_stale sends its task again.
    deliver_loopback_webhook.apply_async(
        kwargs={
            "event_id": f"evt_{secrets.token_hex(13)}",  # kept by a redelivered task: a replay
            "event": webhook_type.value,
            "session_name": session_name,
            "payload": payload,
            "me": loopback_phone_number(session_name),
        },
        countdown=delay,
    )
