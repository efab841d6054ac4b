"""Sending an e-mail notification: one attempt per run, retried with backoff."""

from __future__ import annotations

from celery import shared_task

from messaging.notifications.services import DeliveryOutcome, notification_deliver


@shared_task(bind=True, name="messaging.notifications.send_notification")
def send_notification(self, notification_id: str) -> str:
    """Idempotent: a notification no longer pending is skipped, so a redelivered task sends nothing."""
    delivery = notification_deliver(notification_id=notification_id)
    if delivery.outcome is DeliveryOutcome.RETRY:
        raise self.retry(countdown=delivery.retry_in, max_retries=None)  # attempts counted on the row
    return delivery.outcome.value
