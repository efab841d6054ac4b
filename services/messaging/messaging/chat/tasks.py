"""Sending a message, never on the request path: one attempt per run, retried with backoff."""

from __future__ import annotations

from celery import shared_task

from messaging.chat.services import AttemptOutcome, message_deliver


@shared_task(bind=True, name="messaging.chat.send_message")
def send_message(self, message_id: str) -> str:
    """Idempotent: a message no longer queued is skipped, so a redelivered task sends nothing."""
    attempt = message_deliver(message_id=message_id)
    if attempt.outcome is AttemptOutcome.RETRY:
        # max_retries=None: the attempts are counted on the message (SEND_MAX_ATTEMPTS).
        raise self.retry(countdown=attempt.retry_in, max_retries=None)
    return attempt.outcome.value
