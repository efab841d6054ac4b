"""A user lists and filters their own messages; another user's message is not found."""

from datetime import timedelta

import pytest
from django.utils import timezone

from messaging.chat.models import Direction, MessageStatus, Purpose
from messaging.chat.selectors import message_get, message_list
from servicekit.envelope.errors import NotFound
from tests.factories import MessageFactory, SessionFactory


@pytest.fixture
def session():
    return SessionFactory()


@pytest.mark.django_db
def test_a_user_sees_their_messages_newest_first_and_nobody_elses(session, django_assert_num_queries):
    now = timezone.now()
    older = MessageFactory(session=session, created_at=now - timedelta(minutes=2))
    newer = MessageFactory(session=session, created_at=now - timedelta(minutes=1))
    MessageFactory()  # someone else's
    MessageFactory(session=session, purpose=Purpose.PROBE)  # a health probe: not the user's

    with django_assert_num_queries(1):
        listed = list(message_list(user_id=session.user_id))

    assert listed == [newer, older]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"status": "read"}, ["read"]),
        ({"direction": "inbound"}, ["inbound"]),
        ({"peer_number": "+34600000002"}, ["read"]),
        ({"status": "failed"}, []),
    ],
)
def test_messages_are_filtered(session, filters, expected):
    MessageFactory(session=session, text="queued")
    MessageFactory(session=session, text="read", status=MessageStatus.READ, peer_number="+34600000002")
    MessageFactory(
        session=session, text="inbound", direction=Direction.INBOUND, status=MessageStatus.RECEIVED
    )

    assert [m.text for m in message_list(user_id=session.user_id, **filters)] == expected


@pytest.mark.django_db
def test_messages_are_filtered_by_time_and_session(session):
    now = timezone.now()
    MessageFactory(session=session, text="old", created_at=now - timedelta(days=2))
    MessageFactory(session=session, text="new", created_at=now)
    other_session = SessionFactory(user_id=session.user_id, status="stopped")
    MessageFactory(session=other_session, text="elsewhere", created_at=now)

    recent = message_list(
        user_id=session.user_id, created_after=now - timedelta(days=1), session_id=session.pk
    )

    assert [m.text for m in recent] == ["new"]
    assert [
        m.text for m in message_list(user_id=session.user_id, created_before=now - timedelta(days=1))
    ] == ["old"]


@pytest.mark.django_db
def test_another_users_message_is_not_found(session):
    mine, theirs = MessageFactory(session=session), MessageFactory()

    assert message_get(user_id=session.user_id, message_id=mine.pk) == mine
    with pytest.raises(NotFound) as raised:
        message_get(user_id=session.user_id, message_id=theirs.pk)
    assert raised.value.code == "not_found"
