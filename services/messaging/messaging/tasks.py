"""The service's periodic housekeeping (Celery beat, settings' CELERY_BEAT_SCHEDULE)."""

from __future__ import annotations

from dataclasses import asdict

from celery import shared_task

from messaging.chat.services import messages_dispatch_stale
from messaging.housekeeping import messaging_prune
from messaging.notifications.services import notifications_dispatch_stale
from messaging.sessions.services import sessions_dispatch_stale


@shared_task(name="messaging.prune")
def prune() -> dict[str, int]:
    return asdict(messaging_prune())


@shared_task(name="messaging.dispatch_stale")
def dispatch_stale() -> dict[str, int]:
    """Sessions, messages and e-mails whose task was lost get it again (see their services)."""
    return {
        "sessions": sessions_dispatch_stale(),
        "messages": messages_dispatch_stale(),
        "notifications": notifications_dispatch_stale(),
    }
