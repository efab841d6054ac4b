"""The service's periodic housekeeping (Celery beat, settings' CELERY_BEAT_SCHEDULE)."""

from __future__ import annotations

from dataclasses import asdict

from celery import shared_task

from messaging.housekeeping import messaging_prune


@shared_task(name="messaging.prune")
def prune() -> dict[str, int]:
    return asdict(messaging_prune())
