"""The WhatsApp-provider interface: sessions, QR login, sending, and reading signed webhooks.

Both providers speak WAHA's webhook format (:mod:`messaging.providers.waha_format`), so one
parser serves them; what differs is how a session is started and a message sent.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum, StrEnum


class ProviderError(Exception):
    """A provider call did not succeed."""


class ProviderUnavailable(ProviderError):
    """The provider could not be reached, timed out or answered 5xx: try again later."""


class ProviderRejected(ProviderError):
    """The provider refused the request (4xx): trying again will not help."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class InvalidWebhook(ValueError):
    """A webhook whose signature, age or body cannot be trusted."""


class SessionState(StrEnum):
    """A session's state in the provider's words (WAHA's, lower-cased)."""

    STARTING = "starting"
    SCAN_QR_CODE = "scan_qr_code"
    WORKING = "working"
    FAILED = "failed"
    STOPPED = "stopped"


class Ack(IntEnum):
    """WhatsApp's acknowledgement levels, as WAHA numbers them in ``message.ack``."""

    ERROR = -1
    PENDING = 0
    SERVER = 1
    DEVICE = 2
    READ = 3
    PLAYED = 4


class WebhookType(StrEnum):
    SESSION_STATUS = "session.status"
    MESSAGE = "message"
    MESSAGE_ACK = "message.ack"


@dataclass(frozen=True)
class SessionInfo:
    state: SessionState | None  # None: a state this service does not know
    phone_number: str = ""  # E.164 of the account logged in ("me"), once known


@dataclass(frozen=True)
class SentMessage:
    provider_message_id: str


@dataclass(frozen=True)
class OutgoingMedia:
    mimetype: str
    filename: str
    data: bytes


@dataclass(frozen=True)
class InboundMessage:
    provider_message_id: str
    from_number: str  # E.164; "" for a sender that is not a phone (a group, a broadcast)
    text: str
    is_from_me: bool
    sent_at: datetime | None
    media_url: str = ""
    media_mimetype: str = ""
    media_filename: str = ""


@dataclass(frozen=True)
class WebhookEvent:
    """One verified webhook, in our words; ``type`` is None for events this service ignores."""

    event_id: str
    type: WebhookType | None
    session_name: str
    state: SessionState | None = None  # session.status
    phone_number: str = ""  # "me", when the webhook names it
    provider_message_id: str = ""  # message.ack
    ack: Ack | None = None  # message.ack
    message: InboundMessage | None = None  # message


class MessagingProvider(ABC):
    name: str

    @abstractmethod
    def start_session(self, *, session_name: str) -> SessionInfo:
        """Start (or resume) the session; its state changes arrive as webhooks afterwards."""

    @abstractmethod
    def stop_session(self, *, session_name: str) -> None:
        """Stop the session, keeping its login."""

    @abstractmethod
    def logout_session(self, *, session_name: str) -> None:
        """Log the account out: the next start needs a new QR scan."""

    @abstractmethod
    def qr_value(self, *, session_name: str) -> str:
        """The text of the QR code the phone must scan now (we draw the image ourselves)."""

    @abstractmethod
    def send_text(self, *, session_name: str, to: str, text: str) -> SentMessage:
        """Send ``text`` to the E.164 number ``to``."""

    @abstractmethod
    def send_media(self, *, session_name: str, to: str, media: OutgoingMedia, caption: str) -> SentMessage:
        """Send a file (image, video, audio, document) with an optional caption."""

    def parse_webhook(self, *, body: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        """Verify the signature and age of a webhook and read it; raises :class:`InvalidWebhook`."""
        from django.conf import settings

        from messaging.providers import waha_format

        conf = settings.MESSAGING
        return waha_format.parse_webhook(
            body,
            headers,
            secret=conf["WEBHOOK_SECRET"],
            tolerance_seconds=conf["WEBHOOK_TOLERANCE_SECONDS"],
        )
