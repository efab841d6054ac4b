"""factory_boy factories: rows for the given state of a test (they bypass services: no events)."""

import uuid

import factory
from django.conf import settings
from django.utils import timezone
from factory.django import DjangoModelFactory

from messaging.chat.models import Direction, Message, MessageStatus
from messaging.notifications.models import Recipient
from messaging.providers import waha_format
from messaging.providers.loopback import loopback_phone_number
from messaging.quotas.models import DailyUsage
from messaging.sessions.models import Session, SessionStatus

# File contents whose type is sniffed from their first bytes.
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n" + b"0" * 64
EXE = b"MZ\x90\x00" + b"\x00" * 64


def used_today(user_id) -> int:
    """Messages counted against the user's quota (every day's counts)."""
    return sum(DailyUsage.objects.filter(user_id=user_id).values_list("count", flat=True))


class SessionFactory(DjangoModelFactory):
    class Meta:
        model = Session

    id = factory.LazyFunction(uuid.uuid4)
    user_id = factory.LazyFunction(uuid.uuid4)
    provider = "loopback"
    provider_session = factory.LazyAttribute(lambda session: f"s{session.id.hex}")
    status = SessionStatus.WORKING
    phone_number = factory.LazyAttribute(lambda session: loopback_phone_number(session.provider_session))


class MessageFactory(DjangoModelFactory):
    class Meta:
        model = Message

    session = factory.SubFactory(SessionFactory)
    user_id = factory.LazyAttribute(lambda message: message.session.user_id)
    direction = Direction.OUTBOUND
    peer_number = "+34600000001"
    text = "Hello"
    status = MessageStatus.QUEUED


class RecipientFactory(DjangoModelFactory):
    class Meta:
        model = Recipient

    user_id = factory.LazyFunction(uuid.uuid4)
    email = factory.Sequence(lambda n: f"user{n}@example.com")
    first_name = "Ada"
    last_name = "Lovelace"
    language = ""
    is_active = True
    source_event_at = factory.LazyFunction(timezone.now)


def signed_webhook(
    session: Session,
    event: str = "message",
    payload: dict | None = None,
    *,
    event_id: str = "evt_1",
    now: float | None = None,
    secret: str | None = None,
) -> tuple[bytes, dict[str, str]]:
    """A WAHA webhook about ``session`` (by default an inbound text), and its signed headers."""
    payload = payload or {
        "id": "false_34600000001@c.us_IN1",
        "timestamp": 1_700_000_000,
        "from": "34600000001@c.us",
        "fromMe": False,
        "body": "Hola",
        "hasMedia": False,
    }
    body = waha_format.webhook_body(
        event_id=event_id, event=event, session=session.provider_session, payload=payload, now=now
    )
    return body, waha_format.sign_webhook(body, secret=secret or settings.MESSAGING["WEBHOOK_SECRET"])
