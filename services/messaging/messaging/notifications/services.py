"""E-mail notifications: the local copy of users, opt-outs, and sending each e-mail once.

An event handler calls :func:`notification_request` in its inbox transaction: the row is
unique per (event, kind), so a redelivered event finds it and sends nothing more. The send
task (:func:`notification_deliver`) renders it in the recipient's language, sends it through
Django's e-mail backend, and publishes ``messaging.email.sent``, retrying with backoff.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.utils import timezone

from messaging.backoff import backoff_seconds
from messaging.notifications import events
from messaging.notifications.errors import NotificationErrorCode
from messaging.notifications.models import (
    SECURITY_KINDS,
    Notification,
    NotificationKind,
    NotificationStatus,
    OptOut,
    Recipient,
)
from messaging.notifications.rendering import render_email, supported_language
from servicekit.celery import send_again, send_on_commit
from servicekit.envelope.errors import ApplicationError
from servicekit.events import publish

logger = logging.getLogger(__name__)

SKIP_OPTED_OUT = "opted_out"
SKIP_NO_ADDRESS = "unknown_recipient"
SKIP_INACTIVE = "inactive_account"
# Context keys that are credentials (one-time links): dropped once the e-mail is sent.
SECRET_CONTEXT_KEYS = ("verification_url", "reset_url")


class DeliveryOutcome(StrEnum):
    SENT = "sent"
    RETRY = "retry"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class EmailDelivery:
    outcome: DeliveryOutcome
    retry_in: float | None = None


# -- the local copy of users ----------------------------------------------------------------
@transaction.atomic
def recipient_upsert(
    *,
    user_id: uuid.UUID | str,
    email: str,
    occurred_at: datetime,
    first_name: str | None = None,
    last_name: str | None = None,
    is_active: bool | None = None,
    language: str | None = None,
) -> Recipient:
    """Apply what identity said about a user at ``occurred_at``; an older event arriving after
    a newer one changes nothing. ``None`` leaves a field as it is."""
    recipient = Recipient.objects.select_for_update().filter(pk=user_id).first()
    if recipient is None:
        recipient = Recipient(user_id=user_id, email=email, source_event_at=occurred_at)
    elif occurred_at < recipient.source_event_at:
        return recipient
    recipient.email = email
    recipient.source_event_at = occurred_at
    for name, value in (("first_name", first_name), ("last_name", last_name), ("is_active", is_active)):
        if value is not None:
            setattr(recipient, name, value)
    if language is not None:
        recipient.language = supported_language(language)
    recipient.save()
    return recipient


@transaction.atomic
def recipient_deactivate(*, user_id: uuid.UUID | str, occurred_at: datetime) -> None:
    Recipient.objects.filter(pk=user_id, source_event_at__lte=occurred_at).update(
        is_active=False, source_event_at=occurred_at, updated_at=timezone.now()
    )


# -- preferences ------------------------------------------------------------------------------
def notification_opt_out(*, user_id: uuid.UUID | str, kind: str) -> OptOut:
    kind = _optional_kind(kind)
    opt_out, _ = OptOut.objects.get_or_create(user_id=user_id, kind=kind)
    return opt_out


def notification_opt_in(*, user_id: uuid.UUID | str, kind: str) -> None:
    kind = _optional_kind(kind)
    OptOut.objects.filter(user_id=user_id, kind=kind).delete()


@transaction.atomic
def notification_preferences_update(*, user_id: uuid.UUID | str, changes: Mapping[str, bool]) -> None:
    """Turn kinds of e-mail on (``True``) or off (``False``), all or none. Security mail is
    always on: asking for it is a no-op, turning it off is refused."""
    for kind, is_enabled in changes.items():
        if not is_enabled:
            notification_opt_out(user_id=user_id, kind=kind)
        elif kind not in SECURITY_KINDS:
            notification_opt_in(user_id=user_id, kind=kind)


def _optional_kind(kind: str) -> str:
    if kind not in NotificationKind.values:
        raise ApplicationError(
            "Unknown notification kind.",
            code=NotificationErrorCode.INVALID,
            details={"kind": [f"One of: {', '.join(NotificationKind.values)}."]},
        )
    if kind in SECURITY_KINDS:
        raise ApplicationError(
            "Security e-mails cannot be turned off.",
            code=NotificationErrorCode.NOT_OPTIONAL,
            details={"kind": [kind]},
        )
    return kind


# -- sending ----------------------------------------------------------------------------------
@transaction.atomic
def notification_request(
    *,
    event_id: uuid.UUID | str,
    event_type: str,
    kind: NotificationKind,
    context: dict[str, Any],
    user_id: uuid.UUID | str | None = None,
    email: str | None = None,
    language: str | None = None,
) -> Notification:
    """The e-mail ``kind`` the event ``event_id`` calls for, queued for sending (or recorded as
    skipped, with why). Asking again for the same (event, kind) returns the first row.
    ``language``, when the event says it, wins over the local copy of the user's."""
    existing = Notification.objects.filter(event_id=event_id, kind=kind).first()
    if existing is not None:
        return existing
    recipient = Recipient.objects.filter(pk=user_id).first() if user_id else None
    notification = Notification(
        event_id=event_id,
        event_type=event_type,
        kind=kind,
        user_id=user_id,
        to_email=email or (recipient.email if recipient else ""),
        language=supported_language(language or (recipient.language if recipient else None)),
        context={**context, "name": (recipient.display_name if recipient else "") or context.get("name", "")},
    )
    notification.skip_reason = _skip_reason(notification, recipient)
    if notification.skip_reason:
        notification.status = NotificationStatus.SKIPPED
        notification.context = {}
    notification.save(force_insert=True)
    if notification.status == NotificationStatus.PENDING:
        from messaging.notifications.tasks import send_notification

        send_on_commit(send_notification, str(notification.id))
    else:
        logger.info("%s e-mail for event %s skipped: %s", kind, event_id, notification.skip_reason)
    return notification


def notifications_dispatch_stale(*, now: datetime | None = None) -> int:
    """Send again the task of each pending e-mail never attempted ``DISPATCH_STALE_AFTER_SECONDS``
    after it was asked for: its task was lost (the broker was down when the event's handler
    committed). A task merely late is harmless to send twice: ``notification_deliver`` locks the
    row and skips one no longer pending, so the e-mail still goes once. Returns how many."""
    from messaging.notifications.tasks import send_notification

    now = now or timezone.now()
    stale = Notification.objects.filter(
        status=NotificationStatus.PENDING,
        attempts=0,
        created_at__lte=now - timedelta(seconds=settings.MESSAGING["DISPATCH_STALE_AFTER_SECONDS"]),
    ).values_list("id", flat=True)
    return send_again(send_notification, stale, rows="pending e-mails")


def notification_deliver(*, notification_id: uuid.UUID | str) -> EmailDelivery:
    """One attempt to send a pending e-mail (the send task's body)."""
    with transaction.atomic():
        notification = Notification.objects.select_for_update().filter(pk=notification_id).first()
        if notification is None or notification.status != NotificationStatus.PENDING:
            return EmailDelivery(DeliveryOutcome.SKIPPED)
        if not notification.is_security and _has_opted_out(notification.user_id, notification.kind):
            _skip(notification, SKIP_OPTED_OUT)  # opted out after the event, before the send
            return EmailDelivery(DeliveryOutcome.SKIPPED)
        notification.attempts += 1
        rendered = render_email(
            kind=notification.kind,
            context=notification.context,
            language=notification.language,
            name=notification.context.get("name", ""),
        )
        try:
            _send(notification, rendered.subject, rendered.text, rendered.html)
        except Exception as exc:  # SMTP errors, refused connections, timeouts: the backend's to say
            return _retry_or_fail(notification, exc)
        notification.status = NotificationStatus.SENT
        notification.subject = rendered.subject
        notification.sent_at = timezone.now()
        notification.last_error = ""
        if notification.is_security:
            notification.context = {
                k: v for k, v in notification.context.items() if k not in SECRET_CONTEXT_KEYS
            }
        notification.save()
        publish("messaging.email.sent", notification.id, events.email_sent(notification))
        return EmailDelivery(DeliveryOutcome.SENT)


def _skip_reason(notification: Notification, recipient: Recipient | None) -> str:
    if not notification.to_email:
        return SKIP_NO_ADDRESS
    if notification.is_security:
        return ""
    if recipient is not None and not recipient.is_active:
        return SKIP_INACTIVE
    if _has_opted_out(notification.user_id, notification.kind):
        return SKIP_OPTED_OUT
    return ""


def _has_opted_out(user_id: uuid.UUID | str | None, kind: str) -> bool:
    return user_id is not None and OptOut.objects.filter(user_id=user_id, kind=kind).exists()


def _skip(notification: Notification, reason: str) -> None:
    notification.status = NotificationStatus.SKIPPED
    notification.skip_reason = reason
    notification.context = {}
    notification.save()


def notification_message_id(notification_id: uuid.UUID | str) -> str:
    """The e-mail's ``Message-ID``: one per notification, the same on every attempt."""
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2].strip(" >") or "localhost"
    return f"<notification-{notification_id}@{domain}>"


def _send(notification: Notification, subject: str, text: str, html: str) -> None:
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.to_email],
        headers={
            "Auto-Submitted": "auto-generated",
            "Content-Language": notification.language,
            "X-Notification-ID": str(notification.id),
            "X-Notification-Kind": notification.kind,
            # Stable across attempts: a worker killed after the mail server accepted the message
            # but before the row says "sent" sends it again on redelivery, and this id is what
            # lets mail stores (and the development mailbox) keep it once.
            "Message-ID": notification_message_id(notification.id),
        },
        connection=get_connection(fail_silently=False),
    )
    message.attach_alternative(html, "text/html")
    message.send()


def _retry_or_fail(notification: Notification, exc: Exception) -> EmailDelivery:
    conf = settings.MESSAGING
    notification.last_error = f"{type(exc).__name__}: {exc}"[:500]
    logger.warning(
        "sending %s e-mail %s failed: %s", notification.kind, notification.id, notification.last_error
    )
    if notification.attempts >= conf["EMAIL_MAX_ATTEMPTS"]:
        notification.status = NotificationStatus.FAILED
        notification.context = {}
        notification.save()
        return EmailDelivery(DeliveryOutcome.FAILED)
    notification.save(update_fields=["attempts", "last_error"])
    pause = backoff_seconds(
        notification.attempts, base=conf["SEND_RETRY_BASE_SECONDS"], cap=conf["SEND_RETRY_MAX_SECONDS"]
    )
    return EmailDelivery(DeliveryOutcome.RETRY, retry_in=pause)
