"""Reads of sessions. Another user's session is "not found", never "forbidden"."""

from __future__ import annotations

import uuid

from django.db.models import QuerySet

from messaging.sessions.errors import SessionErrorCode
from messaging.sessions.models import LIVE_STATUSES, Session, SessionStatus
from servicekit.envelope.errors import NotFound


def session_list(*, user_id: uuid.UUID | str) -> QuerySet[Session]:
    return Session.objects.filter(user_id=user_id)


def session_get(*, user_id: uuid.UUID | str, session_id: uuid.UUID | str) -> Session:
    session = Session.objects.filter(user_id=user_id, pk=session_id).first()
    if session is None:
        raise NotFound("Session not found.", code=SessionErrorCode.NOT_FOUND)
    return session


def session_live(*, user_id: uuid.UUID | str) -> Session | None:
    return Session.objects.filter(user_id=user_id, status__in=LIVE_STATUSES).first()


def session_working(*, user_id: uuid.UUID | str) -> Session | None:
    """The session the user's messages go out through, if it is logged in."""
    return Session.objects.filter(user_id=user_id, status=SessionStatus.WORKING).first()


def session_by_provider_name(*, provider: str, provider_session: str) -> Session | None:
    return Session.objects.filter(provider=provider, provider_session=provider_session).first()
