"""The loopback phone's webhooks, delivered a moment after the change they report."""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.conf import settings

from messaging.providers import waha_format
from servicekit.celery import RETRY_WHILE_DATABASE_AWAY


# The task is the receipt's only record: a database that is away delays it, never drops it.
@shared_task(name="messaging.providers.deliver_loopback_webhook", **RETRY_WHILE_DATABASE_AWAY)
def deliver_loopback_webhook(
    *, event_id: str, event: str, session_name: str, payload: dict[str, Any], me: str = ""
) -> str:
    """Sign the webhook now (its timestamp is the delivery time) and receive it as WAHA's would be."""
    from messaging.webhooks.services import webhook_receive

    body = waha_format.webhook_body(
        event_id=event_id, event=event, session=session_name, payload=payload, me=me
    )
    headers = waha_format.sign_webhook(body, secret=settings.MESSAGING["WEBHOOK_SECRET"])
    return webhook_receive(provider_name="loopback", body=body, headers=headers).outcome
