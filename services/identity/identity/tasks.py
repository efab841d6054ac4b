"""Celery tasks of identity (idempotent, safe to retry, acks late)."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from identity.accounts.services import one_time_tokens_purge
from identity.tokens.services import refresh_tokens_purge

# Like ``manage.py purge_expired_tokens``' default: keep rows one day past their expiry.
PURGE_GRACE = timedelta(days=1)


@shared_task(name="identity.purge_expired_tokens", acks_late=True)
def purge_expired_tokens_task() -> dict[str, int]:
    """Run by Celery beat daily (the identity-beat process): deletes refresh tokens and one-time
    links that expired more than a day ago, as ``manage.py purge_expired_tokens`` does."""
    cutoff = timezone.now() - PURGE_GRACE
    return {
        "refresh_tokens": refresh_tokens_purge(expired_before=cutoff),
        "one_time_links": one_time_tokens_purge(expired_before=cutoff),
    }
