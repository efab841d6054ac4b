"""Provider calls for sessions, retried with backoff; the sweep of sessions never scanned."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings

from messaging.backoff import backoff_seconds
from messaging.providers import ProviderUnavailable
from messaging.sessions import services
from messaging.sessions.models import Session

logger = logging.getLogger(__name__)


def _retry_or_give_up(task, exc: ProviderUnavailable) -> bool:
    """Schedule another attempt (raises Retry); False once attempts are exhausted."""
    conf = settings.MESSAGING
    attempt = task.request.retries + 1
    if attempt >= conf["SEND_MAX_ATTEMPTS"]:
        return False
    countdown = backoff_seconds(
        attempt, base=conf["SEND_RETRY_BASE_SECONDS"], cap=conf["SEND_RETRY_MAX_SECONDS"]
    )
    raise task.retry(exc=exc, countdown=countdown, max_retries=None)


@shared_task(bind=True, name="messaging.sessions.start_on_provider")
def start_on_provider(self, session_id: str) -> str | None:
    try:
        session = services.session_provider_start(session_id=session_id)
    except ProviderUnavailable as exc:
        _retry_or_give_up(self, exc)
        session = services.session_fail(
            session=Session.objects.get(pk=session_id), reason=f"provider_unavailable: {exc}"
        )
    return session.status if session else None


@shared_task(bind=True, name="messaging.sessions.stop_on_provider")
def stop_on_provider(self, session_id: str, logout: bool = False) -> None:
    try:
        services.session_provider_stop(session_id=session_id, logout=logout)
    except ProviderUnavailable as exc:
        _retry_or_give_up(self, exc)
        logger.warning(
            "session %s: could not %s it at the provider: %s",
            session_id,
            "log out" if logout else "stop",
            exc,
        )


@shared_task(name="messaging.sessions.expire_unscanned")
def expire_unscanned() -> int:
    return services.sessions_expire_unscanned()
