"""factory_boy factories: rows for the given state of a test (they bypass services: no events)."""

import uuid

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from messaging.chat.models import Direction, Message, MessageStatus
from messaging.notifications.models import Recipient
from messaging.providers.loopback import loopback_phone_number
from messaging.sessions.models import Session, SessionStatus


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
