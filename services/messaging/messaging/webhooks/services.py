"""Receiving a provider's webhook: verify, record once, dispatch to the domain.

The webhook endpoint (and the loopback phone's task) call :func:`webhook_receive` with the
raw body and headers. A webhook must be signed (HMAC-SHA512 with ``MESSAGING_WEBHOOK_SECRET``)
and recent (``MESSAGING_WEBHOOK_TOLERANCE_SECONDS``); its event id is recorded in the same
transaction as its effect, so a replay, or the provider retrying a delivery, changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from django.db import transaction

from messaging.chat.services import message_ack_apply, message_receive
from messaging.providers import InvalidWebhook, UnknownProvider, WebhookEvent, WebhookType, get_provider
from messaging.sessions.selectors import session_by_provider_name
from messaging.sessions.services import session_status_apply
from messaging.webhooks.errors import WebhookErrorCode
from messaging.webhooks.models import WebhookReceipt
from servicekit.envelope.errors import ApplicationError, NotFound

logger = logging.getLogger(__name__)

HANDLED = "handled"
DUPLICATE = "duplicate"
UNKNOWN_SESSION = "unknown_session"
IGNORED = "ignored"


@dataclass(frozen=True)
class WebhookResult:
    outcome: str  # handled | duplicate | unknown_session | ignored
    event_id: str
    event_type: str


def webhook_receive(*, provider_name: str, body: bytes, headers: Mapping[str, str]) -> WebhookResult:
    try:
        provider = get_provider(provider_name)
    except UnknownProvider:
        raise NotFound("Unknown webhook provider.", code=WebhookErrorCode.UNKNOWN_PROVIDER) from None
    try:
        event = provider.parse_webhook(body=body, headers=headers)
    except InvalidWebhook as exc:
        logger.warning("rejected %s webhook: %s", provider_name, exc)
        raise ApplicationError(
            f"The webhook could not be verified: {exc}.", code=WebhookErrorCode.INVALID_SIGNATURE
        ) from None
    with transaction.atomic():
        receipt, created = WebhookReceipt.objects.get_or_create(
            provider=provider_name,
            event_id=event.event_id,
            defaults={
                "event_type": (event.type or "")[:64],
                "session_name": event.session_name[:64],
                "outcome": "",
            },
        )
        if not created:
            return WebhookResult(DUPLICATE, event.event_id, event.type or "")
        receipt.outcome = _dispatch(provider_name, event)
        receipt.save(update_fields=["outcome"])
    return WebhookResult(receipt.outcome, event.event_id, event.type or "")


def _dispatch(provider_name: str, event: WebhookEvent) -> str:
    if event.type is None:
        return IGNORED
    session = session_by_provider_name(provider=provider_name, provider_session=event.session_name)
    if session is None:
        # Not ours (another application sharing the WAHA server): answered, never retried.
        logger.info("%s webhook for unknown session %r ignored", provider_name, event.session_name)
        return UNKNOWN_SESSION
    if event.type is WebhookType.SESSION_STATUS:
        session_status_apply(session=session, state=event.state, phone_number=event.phone_number)
    elif event.type is WebhookType.MESSAGE_ACK:
        message_ack_apply(session=session, provider_message_id=event.provider_message_id, ack=event.ack)
    elif event.type is WebhookType.MESSAGE and event.message is not None:
        message_receive(session=session, inbound=event.message)
    return HANDLED
