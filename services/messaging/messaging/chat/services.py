"""Messages: accepting a send, delivering it through the provider (one attempt per call, the
task retries), applying acknowledgements, and storing inbound messages.

Outbound status: queued → sent → delivered → read, or failed. Each step publishes its event
(``messaging.message.sent|delivered|read|failed``); probe messages publish none.
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from messaging.backoff import backoff_seconds
from messaging.chat import events
from messaging.chat.errors import FailureCode, MessageErrorCode
from messaging.chat.media import MediaRefused, MediaUnavailable, fetch_media
from messaging.chat.models import (
    OUTBOUND_RANK,
    Direction,
    Message,
    MessageStatus,
    PendingAck,
    Purpose,
)
from messaging.chat.validation import check_content, invalid, media_kind, normalize_phone_number
from messaging.providers import (
    Ack,
    InboundMessage,
    OutgoingMedia,
    ProviderRejected,
    ProviderUnavailable,
    get_provider,
)
from messaging.quotas.services import quota_consume
from messaging.sessions.models import Session, SessionStatus
from messaging.sessions.selectors import session_working
from servicekit.celery import send_again, send_on_commit
from servicekit.envelope.errors import Conflict
from servicekit.events import publish

logger = logging.getLogger(__name__)

MAX_IDEMPOTENCY_KEY_LENGTH = 255
_ACK_TARGET = {
    Ack.SERVER: MessageStatus.SENT,
    Ack.DEVICE: MessageStatus.DELIVERED,
    Ack.READ: MessageStatus.READ,
    Ack.PLAYED: MessageStatus.READ,
}
_STEP_FIELDS = {
    MessageStatus.SENT: ("sent_at", "messaging.message.sent", events.message_sent),
    MessageStatus.DELIVERED: ("delivered_at", "messaging.message.delivered", events.message_delivered),
    MessageStatus.READ: ("read_at", "messaging.message.read", events.message_read),
}


@dataclass(frozen=True)
class SendResult:
    message: Message
    created: bool  # False: an earlier request with the same Idempotency-Key made it


class AttemptOutcome(StrEnum):
    SENT = "sent"
    RETRY = "retry"
    FAILED = "failed"
    SKIPPED = "skipped"  # not queued any more (sent by an earlier run of the task, or failed)


@dataclass(frozen=True)
class DeliveryAttempt:
    outcome: AttemptOutcome
    retry_in: float | None = None


def message_send(
    *,
    user_id: uuid.UUID | str,
    to: str,
    text: str = "",
    media_file: UploadedFile | None = None,
    media_url: str = "",
    idempotency_key: str = "",
    now: datetime | None = None,
) -> SendResult:
    """Accept a message for sending (status ``queued``); the send task delivers it.

    With an ``idempotency_key`` a repeated request is a no-op returning the first message (no
    second quota unit, no second send); the same key with another message is a conflict.
    """
    to = normalize_phone_number(to)
    media = check_content(text=text, media_file=media_file, media_url=media_url)
    key = idempotency_key.strip()
    if len(key) > MAX_IDEMPOTENCY_KEY_LENGTH:
        raise invalid("idempotency_key", f"At most {MAX_IDEMPOTENCY_KEY_LENGTH} characters.")
    fingerprint = _fingerprint(to=to, text=text, media_file=media_file, media_url=media_url) if key else ""
    with transaction.atomic():
        if key and (earlier := _earlier_send(user_id, key, fingerprint)) is not None:
            return SendResult(message=earlier, created=False)
        session = session_working(user_id=user_id)
        if session is None:
            raise Conflict(
                "No WhatsApp session is working: start one and scan its QR code first.",
                code=MessageErrorCode.SESSION_NOT_WORKING,
            )
        message = Message(
            user_id=user_id,
            session=session,
            direction=Direction.OUTBOUND,
            kind=media.kind,
            peer_number=to,
            text=text,
            media_url=media_url,
            media_mimetype=media.mimetype,
            media_size=media.size,
            media_filename=media.filename,
            status=MessageStatus.QUEUED,
            idempotency_key=key,
            request_fingerprint=fingerprint,
            created_at=now or timezone.now(),
        )
        try:
            with transaction.atomic():  # a concurrent request with the same key may win
                quota_consume(user_id=user_id, now=now)
                if media_file is not None:
                    message.media_file.save(message.media_filename, media_file, save=False)
                message.save(force_insert=True)
        except IntegrityError:
            _delete_stored_file(message)
            if not key:
                raise
            earlier = _earlier_send(user_id, key, fingerprint)
            if earlier is None:
                raise
            return SendResult(message=earlier, created=False)

        from messaging.chat.tasks import send_message

        send_on_commit(send_message, str(message.id))
    return SendResult(message=message, created=True)


def message_probe_create(*, session: Session) -> Message:
    """A test message from the session to its own number (the health probe); no quota, no events."""
    with transaction.atomic():
        session = Session.objects.select_for_update().get(pk=session.pk)
        if session.status != SessionStatus.WORKING or not session.phone_number:
            raise Conflict("The session is not working.", code=MessageErrorCode.SESSION_NOT_WORKING)
        message = Message.objects.create(
            user_id=session.user_id,
            session=session,
            direction=Direction.OUTBOUND,
            purpose=Purpose.PROBE,
            peer_number=session.phone_number,
            text=f"Health check {timezone.now().isoformat(timespec='seconds')}",
            status=MessageStatus.QUEUED,
        )

        from messaging.chat.tasks import send_message

        send_on_commit(send_message, str(message.id))
    return message


def messages_dispatch_stale(*, now: datetime | None = None) -> int:
    """Send again the task of each queued message never attempted ``DISPATCH_STALE_AFTER_SECONDS``
    after it was accepted: its task was lost (the broker was down when the send committed).
    A message whose task is merely late is harmless to send twice: ``message_deliver`` locks
    the row and skips a message no longer queued. Returns how many were sent."""
    from messaging.chat.tasks import send_message

    now = now or timezone.now()
    stale = Message.objects.filter(
        status=MessageStatus.QUEUED,
        attempts=0,
        created_at__lte=now - timedelta(seconds=settings.MESSAGING["DISPATCH_STALE_AFTER_SECONDS"]),
    ).values_list("id", flat=True)
    return send_again(send_message, stale, rows="queued messages")


def message_deliver(*, message_id: uuid.UUID | str) -> DeliveryAttempt:
    """One attempt to hand a queued message to the provider (the send task's body).

    The row stays locked during the call, so a redelivered task waits and then finds the
    message sent. A provider that took the message but whose answer was lost cannot be told
    apart from one that did not: a retry may then send it twice (WhatsApp has no
    idempotency key), which is why only answers that mean "not sent" are retried in the
    adapter and the rest waits for this backoff.
    """
    with transaction.atomic():
        message = Message.objects.select_for_update().select_related("session").filter(pk=message_id).first()
        if message is None or message.status != MessageStatus.QUEUED:
            return DeliveryAttempt(AttemptOutcome.SKIPPED)
        message.attempts += 1
        session = message.session
        if session.status != SessionStatus.WORKING:
            return _retry_or_fail(
                message, FailureCode.SESSION_NOT_WORKING, f"the session is {session.status}"
            )
        try:
            sent = _hand_to_provider(message)
        except ProviderUnavailable as exc:
            return _retry_or_fail(message, FailureCode.PROVIDER_UNAVAILABLE, str(exc))
        except MediaUnavailable as exc:
            return _retry_or_fail(message, FailureCode.MEDIA_UNAVAILABLE, str(exc))
        except ProviderRejected as exc:
            _fail(message, FailureCode.PROVIDER_REJECTED, str(exc))
            return DeliveryAttempt(AttemptOutcome.FAILED)
        except MediaRefused as exc:
            _fail(message, exc.code, str(exc))
            return DeliveryAttempt(AttemptOutcome.FAILED)
        message.provider_message_id = sent
        message.error_code = message.error_message = ""
        _advance(message, MessageStatus.SENT, timezone.now())
        _apply_pending_ack(message)
        return DeliveryAttempt(AttemptOutcome.SENT)


@transaction.atomic
def message_ack_apply(
    *, session: Session, provider_message_id: str, ack: Ack | None, now: datetime | None = None
) -> Message | None:
    """Apply the provider's acknowledgement of an outbound message; remember it if the message
    is not known by that id yet. Acknowledgements only move a message forward."""
    if not provider_message_id or ack is None:
        return None
    message = (
        Message.objects.select_for_update()
        .filter(session=session, provider_message_id=provider_message_id, direction=Direction.OUTBOUND)
        .first()
    )
    if message is None:
        _remember_ack(session, provider_message_id, ack)
        return None
    _apply_ack(message, ack, now or timezone.now())
    return message


@transaction.atomic
def message_receive(*, session: Session, inbound: InboundMessage) -> Message | None:
    """Store an inbound message once (keyed by its provider id) and publish ``received``."""
    if inbound.is_from_me or not inbound.provider_message_id or not inbound.from_number:
        return None  # our own messages echoed back, and groups, are not inbound messages
    message, created = Message.objects.get_or_create(
        session=session,
        provider_message_id=inbound.provider_message_id,
        defaults={
            "user_id": session.user_id,
            "direction": Direction.INBOUND,
            "kind": media_kind(inbound.media_mimetype) if inbound.media_url else "text",
            "peer_number": inbound.from_number,
            "text": inbound.text,
            "media_url": inbound.media_url[:2048],
            "media_mimetype": inbound.media_mimetype[:100],
            "media_filename": inbound.media_filename[:255],
            "status": MessageStatus.RECEIVED,
            "received_at": inbound.sent_at,
        },
    )
    if created:
        publish("messaging.message.received", message.id, events.message_received(message))
    return message


# -- internals ---------------------------------------------------------------------------
def _fingerprint(*, to: str, text: str, media_file: UploadedFile | None, media_url: str) -> str:
    digest = hashlib.sha256()
    digest.update(json.dumps({"to": to, "text": text, "media_url": media_url}, sort_keys=True).encode())
    if media_file is not None:
        media_file.seek(0)
        for chunk in media_file.chunks():
            digest.update(chunk)
        media_file.seek(0)
    return digest.hexdigest()


def _earlier_send(user_id: uuid.UUID | str, key: str, fingerprint: str) -> Message | None:
    earlier = Message.objects.filter(user_id=user_id, idempotency_key=key).first()
    if earlier is not None and earlier.request_fingerprint != fingerprint:
        raise Conflict(
            "This Idempotency-Key was used for another message.", code=MessageErrorCode.IDEMPOTENCY_KEY_REUSED
        )
    return earlier


def _delete_stored_file(message: Message) -> None:
    if message.media_file:
        message.media_file.storage.delete(message.media_file.name)


def _hand_to_provider(message: Message) -> str:
    provider = get_provider(message.session.provider)
    name = message.session.provider_session
    if not (message.media_file or message.media_url):
        return provider.send_text(
            session_name=name, to=message.peer_number, text=message.text
        ).provider_message_id
    if message.media_file:
        with message.media_file.open("rb") as stored:
            media = OutgoingMedia(
                mimetype=message.media_mimetype, filename=message.media_filename, data=stored.read()
            )
    else:
        fetched = fetch_media(message.media_url)
        media = OutgoingMedia(mimetype=fetched.mimetype, filename=message.media_filename, data=fetched.data)
        message.media_mimetype, message.media_size = fetched.mimetype, len(fetched.data)
        message.kind = media_kind(fetched.mimetype)
    return provider.send_media(
        session_name=name, to=message.peer_number, media=media, caption=message.text
    ).provider_message_id


def _retry_or_fail(message: Message, code: FailureCode, error: str) -> DeliveryAttempt:
    conf = settings.MESSAGING
    if message.attempts >= conf["SEND_MAX_ATTEMPTS"]:
        _fail(message, code, error)
        return DeliveryAttempt(AttemptOutcome.FAILED)
    message.error_code, message.error_message = code, error[:500]
    message.save(update_fields=["attempts", "error_code", "error_message", "updated_at"])
    pause = backoff_seconds(
        message.attempts, base=conf["SEND_RETRY_BASE_SECONDS"], cap=conf["SEND_RETRY_MAX_SECONDS"]
    )
    return DeliveryAttempt(AttemptOutcome.RETRY, retry_in=pause)


def _fail(message: Message, code: str, error: str) -> None:
    message.status = MessageStatus.FAILED
    message.error_code, message.error_message = code, error[:500]
    message.failed_at = timezone.now()
    message.save()
    if not message.is_probe:
        publish("messaging.message.failed", message.id, events.message_failed(message))


def _advance(message: Message, target: MessageStatus, now: datetime) -> None:
    """Move an outbound message forward to ``target``, through any step it skipped (a read
    message was delivered): each step gets its time and its event."""
    current = OUTBOUND_RANK[message.status]
    steps = [status for status, rank in OUTBOUND_RANK.items() if current < rank <= OUTBOUND_RANK[target]]
    for status in steps:
        field, _, _ = _STEP_FIELDS[status]
        setattr(message, field, getattr(message, field) or now)
    message.status = target
    message.save()
    if message.is_probe:
        return
    for status in steps:
        _, event_type, payload = _STEP_FIELDS[status]
        publish(event_type, message.id, payload(message))


def _apply_ack(message: Message, ack: Ack, now: datetime) -> None:
    if message.status not in OUTBOUND_RANK:  # failed: final
        return
    if ack is Ack.ERROR:
        if message.status in (MessageStatus.QUEUED, MessageStatus.SENT):
            _fail(message, FailureCode.PROVIDER_ERROR, "the provider acknowledged the message with an error")
        return
    target = _ACK_TARGET.get(ack)
    if target is not None and OUTBOUND_RANK[target] > OUTBOUND_RANK[message.status]:
        _advance(message, target, now)


def _remember_ack(session: Session, provider_message_id: str, ack: Ack) -> None:
    pending, created = PendingAck.objects.select_for_update().get_or_create(
        session=session, provider_message_id=provider_message_id[:255], defaults={"ack": int(ack)}
    )
    if not created and (pending.ack == Ack.ERROR or int(ack) > pending.ack) and ack is not Ack.ERROR:
        pending.ack = int(ack)
        pending.save(update_fields=["ack"])


def _apply_pending_ack(message: Message) -> None:
    if not message.provider_message_id:
        return
    pending = PendingAck.objects.filter(
        session=message.session, provider_message_id=message.provider_message_id
    ).first()
    if pending is not None:
        pending.delete()
        _apply_ack(message, Ack(pending.ack), timezone.now())
