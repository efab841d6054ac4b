import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone

from messaging.sessions.models import Session


class Direction(models.TextChoices):
    OUTBOUND = "outbound"
    INBOUND = "inbound"


class MessageStatus(models.TextChoices):
    QUEUED = "queued"  # accepted, waiting for the send task
    SENT = "sent"  # the provider took it
    DELIVERED = "delivered"  # the recipient's phone has it
    READ = "read"
    FAILED = "failed"  # the provider refused it, or every attempt failed
    RECEIVED = "received"  # an inbound message


# Outbound progress only moves forward; an acknowledgement of a lower level is ignored.
OUTBOUND_RANK = {
    MessageStatus.QUEUED: 0,
    MessageStatus.SENT: 1,
    MessageStatus.DELIVERED: 2,
    MessageStatus.READ: 3,
}


class MessageKind(models.TextChoices):
    TEXT = "text"
    IMAGE = "image"
    VIDEO = "video"
    AUDIO = "audio"
    DOCUMENT = "document"


class Purpose(models.TextChoices):
    USER = "user"
    PROBE = "probe"  # a session's health probe: not counted, not listed, no events


def _media_path(message: "Message", filename: str) -> str:
    return f"messaging/outbound/{message.created_at:%Y/%m}/{message.id}"


class Message(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user_id = models.UUIDField()
    session = models.ForeignKey(Session, on_delete=models.PROTECT, related_name="messages")
    direction = models.CharField(max_length=8, choices=Direction.choices)
    purpose = models.CharField(max_length=8, choices=Purpose.choices, default=Purpose.USER)
    kind = models.CharField(max_length=8, choices=MessageKind.choices, default=MessageKind.TEXT)
    # The other party, E.164: the recipient of an outbound message, the sender of an inbound one.
    peer_number = models.CharField(max_length=20)
    text = models.TextField(blank=True)  # the body, or a media message's caption

    # Media: an uploaded file (stored here), or a URL the send task fetches and checks.
    media_file = models.FileField(upload_to=_media_path, blank=True)
    media_url = models.URLField(max_length=2048, blank=True)
    media_mimetype = models.CharField(max_length=100, blank=True)
    media_size = models.PositiveBigIntegerField(null=True, blank=True)
    media_filename = models.CharField(max_length=255, blank=True)

    status = models.CharField(max_length=16, choices=MessageStatus.choices)
    provider_message_id = models.CharField(max_length=255, blank=True)
    error_code = models.CharField(max_length=64, blank=True)
    error_message = models.CharField(max_length=500, blank=True)
    attempts = models.PositiveIntegerField(default=0)

    # Idempotency-Key of the send request, and a fingerprint of what was asked under it.
    idempotency_key = models.CharField(max_length=255, blank=True)
    request_fingerprint = models.CharField(max_length=64, blank=True)

    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(null=True, blank=True)  # inbound: when the sender sent it
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user_id", "-created_at"], name="message_user_created_idx"),
            models.Index(fields=["provider_message_id"], name="message_provider_id_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["user_id", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="message_idempotency_key_per_user",
            ),
            # An inbound message is stored once however often its webhook comes.
            models.UniqueConstraint(
                fields=["session", "provider_message_id"],
                condition=~Q(provider_message_id=""),
                name="message_provider_id_per_session",
            ),
            models.CheckConstraint(condition=Q(status__in=MessageStatus.values), name="message_status_known"),
        ]

    def __str__(self) -> str:
        return f"{self.direction} message {self.id} ({self.status})"

    @property
    def is_probe(self) -> bool:
        return self.purpose == Purpose.PROBE


class PendingAck(models.Model):
    """An acknowledgement that arrived before its message was known by its provider id (the
    webhook can overtake the send task's commit); applied when the send records the id."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="+")
    provider_message_id = models.CharField(max_length=255)
    ack = models.SmallIntegerField()
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session", "provider_message_id"], name="pending_ack_once"),
        ]
        indexes = [models.Index(fields=["received_at"], name="pending_ack_received_idx")]

    def __str__(self) -> str:
        return f"ack {self.ack} for {self.provider_message_id}"
