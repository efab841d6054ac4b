"""Send tasks lost to a broker outage: the request or event handler committed its row, the task
never reached the broker. Beat's messaging.dispatch_stale sends them again, once each row is
old enough to be sure its task is not merely queued, and the row's own guard keeps the send
single (a late original task finds it no longer queued or pending)."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from messaging.chat.models import MessageStatus
from messaging.chat.services import messages_dispatch_stale
from messaging.notifications.models import Notification, NotificationKind, NotificationStatus
from messaging.notifications.services import notifications_dispatch_stale
from messaging.sessions.models import SessionStatus
from messaging.sessions.services import sessions_dispatch_stale
from messaging.tasks import dispatch_stale
from tests.factories import MessageFactory, SessionFactory

pytestmark = pytest.mark.django_db


def old(seconds: int = 31):
    return timezone.now() - timedelta(seconds=seconds)


def pending_email(**fields) -> Notification:
    return Notification.objects.create(
        event_id=uuid.uuid4(),
        event_type="identity.user.registered",
        kind=NotificationKind.WELCOME,
        to_email=f"{uuid.uuid4().hex[:8]}@example.com",
        language="en",
        context={"email": "a@example.com"},
        **fields,
    )


def test_a_queued_message_whose_task_was_lost_is_sent(user_id):
    session = SessionFactory(user_id=user_id)
    lost = MessageFactory(session=session, created_at=old())
    recent = MessageFactory(session=session)  # its task may still be on its way
    tried = MessageFactory(session=session, created_at=old(), attempts=1)  # a retry is scheduled

    assert messages_dispatch_stale() == 1

    lost.refresh_from_db()
    assert lost.status == MessageStatus.READ and lost.attempts == 1  # the loopback phone read it
    for untouched in (recent, tried):
        untouched.refresh_from_db()
        assert untouched.status == MessageStatus.QUEUED
    assert messages_dispatch_stale() == 0  # sent once


def test_a_pending_email_whose_task_was_lost_is_sent_once(mailoutbox, settings):
    settings.MESSAGING = {**settings.MESSAGING, "DISPATCH_STALE_AFTER_SECONDS": 60}
    lost = pending_email(created_at=old(61))
    recent = pending_email(created_at=old(59))
    done = pending_email(created_at=old(61), status=NotificationStatus.SENT)

    assert dispatch_stale() == {"sessions": 0, "messages": 0, "notifications": 1}

    assert [m.to for m in mailoutbox] == [[lost.to_email]]
    lost.refresh_from_db()
    recent.refresh_from_db()
    assert (lost.status, recent.status) == (NotificationStatus.SENT, NotificationStatus.PENDING)
    assert notifications_dispatch_stale() == 0
    assert done.to_email not in [m.to[0] for m in mailoutbox]


def test_a_session_whose_start_task_was_lost_is_started(user_id):
    lost = SessionFactory(user_id=user_id, status=SessionStatus.STARTING, created_at=old())
    recent = SessionFactory(status=SessionStatus.STARTING)

    assert sessions_dispatch_stale() == 1

    lost.refresh_from_db()
    recent.refresh_from_db()
    assert lost.status == SessionStatus.SCAN_QR_CODE  # the loopback phone shows its first code
    assert recent.status == SessionStatus.STARTING
    assert sessions_dispatch_stale() == 0


def test_the_beat_runs_the_sweep_often(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["messaging.dispatch-stale"]
    assert entry["task"] == "messaging.dispatch_stale"
    assert entry["schedule"] <= settings.MESSAGING["DISPATCH_STALE_AFTER_SECONDS"]
