import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone


class NotificationKind(models.TextChoices):
    EMAIL_VERIFICATION = "email_verification"
    WELCOME = "welcome"
    PASSWORD_RESET = "password_reset"
    REGISTRATION_ATTEMPT = "registration_attempt"  # "someone tried to register with your address"
    ORDER_PLACED = "order_placed"
    ORDER_CONFIRMED = "order_confirmed"
    ORDER_PAID = "order_paid"
    ORDER_SHIPPED = "order_shipped"
    ORDER_REJECTED = "order_rejected"
    ORDER_CANCELLED = "order_cancelled"
    BUILD_FAILED = "build_failed"
    BUILD_PUBLISHED = "build_published"


# Security mail reaches the user whatever they opted out of.
SECURITY_KINDS = frozenset(
    {
        NotificationKind.EMAIL_VERIFICATION,
        NotificationKind.PASSWORD_RESET,
        NotificationKind.REGISTRATION_ATTEMPT,
    }
)


class Recipient(models.Model):
    """Messaging's own copy of what it needs about a user, kept from identity's events."""

    user_id = models.UUIDField(primary_key=True)
    email = models.EmailField(max_length=254)
    first_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    language = models.CharField(max_length=8, blank=True)  # "": the default language
    is_active = models.BooleanField(default=True)
    # When identity made the change last applied: an older event arriving late changes nothing.
    source_event_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.email

    @property
    def display_name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part)


class NotificationStatus(models.TextChoices):
    PENDING = "pending"  # the send task will deliver it
    SENT = "sent"
    SKIPPED = "skipped"  # opted out, no known address, inactive account
    FAILED = "failed"  # every attempt failed


class Notification(models.Model):
    """One e-mail an event calls for. Unique per (event, kind): however often the event is
    delivered, it is sent once."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    event_id = models.UUIDField()
    event_type = models.CharField(max_length=100)
    kind = models.CharField(max_length=32, choices=NotificationKind.choices)
    user_id = models.UUIDField(null=True, blank=True)
    to_email = models.EmailField(max_length=254, blank=True)
    language = models.CharField(max_length=8)
    # What the templates need; a security mail's one-time link is dropped once sent.
    context = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        max_length=8, choices=NotificationStatus.choices, default=NotificationStatus.PENDING
    )
    skip_reason = models.CharField(max_length=32, blank=True)
    subject = models.CharField(max_length=255, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["event_id", "kind"], name="notification_once_per_event_and_kind"),
            models.CheckConstraint(
                condition=Q(status__in=NotificationStatus.values), name="notification_status_known"
            ),
        ]
        indexes = [models.Index(fields=["user_id", "-created_at"], name="notification_user_created_idx")]

    def __str__(self) -> str:
        return f"{self.kind} to {self.to_email or '?'} ({self.status})"

    @property
    def is_security(self) -> bool:
        return self.kind in SECURITY_KINDS


class OptOut(models.Model):
    """A user does not want e-mails of one kind (never possible for security mail)."""

    user_id = models.UUIDField()
    kind = models.CharField(max_length=32, choices=NotificationKind.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user_id", "kind"], name="opt_out_once_per_kind")]

    def __str__(self) -> str:
        return f"{self.user_id} opted out of {self.kind}"
