import uuid

from django.db import models
from django.db.models import Q

from servicekit.money import AMOUNT_DECIMAL_PLACES, AMOUNT_MAX_DIGITS


class PaymentStatus(models.TextChoices):
    PROCESSING = "processing"  # sent to the provider, no answer yet
    REQUIRES_ACTION = "requires_action"  # the customer must finish a 3-D Secure challenge
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    REFUNDED = "refunded"


ACTIVE_PAYMENT_STATUSES = (PaymentStatus.PROCESSING, PaymentStatus.REQUIRES_ACTION)
CAPTURED_PAYMENT_STATUSES = (PaymentStatus.SUCCEEDED, PaymentStatus.REFUNDED)


class Payment(models.Model):
    """One attempt to pay an order (a payment intent). Card numbers are never stored."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    order = models.ForeignKey("ordering.Order", on_delete=models.PROTECT, related_name="payments")
    user_id = models.UUIDField()
    provider = models.CharField(max_length=32)
    provider_payment_id = models.CharField(max_length=128, blank=True)
    amount = models.DecimalField(max_digits=AMOUNT_MAX_DIGITS, decimal_places=AMOUNT_DECIMAL_PLACES)
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=16, choices=PaymentStatus.choices, default=PaymentStatus.PROCESSING)
    card_brand = models.CharField(max_length=16, blank=True)
    card_last4 = models.CharField(max_length=4, blank=True)
    failure_code = models.CharField(max_length=64, blank=True)
    failure_message = models.CharField(max_length=255, blank=True)
    next_action = models.JSONField(null=True, blank=True)
    # True for the one payment that paid its order. Another captured payment of the same
    # order (a provider reporting success for an attempt it had declined, after a later
    # attempt paid) is recorded too, and refunded. db_default: code that predates the
    # column still inserts payments during a rolling deploy.
    pays_order = models.BooleanField(default=False, db_default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    succeeded_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user_id", "-created_at"], name="payment_user_created_idx")]
        constraints = [
            # One attempt in flight per order, and at most one that paid it (and took the money).
            models.UniqueConstraint(
                fields=["order"],
                condition=Q(status__in=ACTIVE_PAYMENT_STATUSES),
                name="payment_one_active_per_order",
            ),
            models.UniqueConstraint(
                fields=["order"],
                condition=Q(pays_order=True),
                name="payment_one_paying_per_order",
            ),
            models.CheckConstraint(
                condition=Q(pays_order=False) | Q(status__in=CAPTURED_PAYMENT_STATUSES),
                name="payment_paying_is_captured",
            ),
            models.UniqueConstraint(
                fields=["provider", "provider_payment_id"],
                condition=~Q(provider_payment_id=""),
                name="payment_provider_id_unique",
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="payment_amount_not_negative"),
        ]

    def __str__(self) -> str:
        return f"payment {self.id} ({self.status})"


class RefundStatus(models.TextChoices):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class Refund(models.Model):
    """Money given back for a captured payment (a full refund, at most one per payment).

    ``pending`` → ``succeeded`` (``orders.payment.refunded``) or ``failed`` (the provider's
    message kept in ``failure_message``). Staff may retry a failed refund: it becomes
    ``pending`` again with ``attempts`` + 1, and each attempt has its own provider reference.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    payment = models.OneToOneField(Payment, on_delete=models.PROTECT, related_name="refund")
    amount = models.DecimalField(max_digits=AMOUNT_MAX_DIGITS, decimal_places=AMOUNT_DECIMAL_PLACES)
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=16, choices=RefundStatus.choices, default=RefundStatus.PENDING)
    reason = models.CharField(max_length=64)
    provider_refund_id = models.CharField(max_length=128, blank=True)
    failure_message = models.CharField(max_length=255, blank=True)
    attempts = models.PositiveSmallIntegerField(default=1, db_default=1)  # old code inserts too
    # When the refund task last took up the current attempt; empty while it never has (a task
    # lost because the broker was down: refunds_dispatch_stale sends it again).
    asked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    succeeded_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["updated_at"],
                condition=Q(status="pending", asked_at__isnull=True),
                name="refund_never_asked_idx",
            )
        ]

    def __str__(self) -> str:
        return f"refund {self.id} ({self.status})"


class WebhookEvent(models.Model):
    """Every provider event we accepted, keyed by the provider's event id: replays do nothing."""

    provider = models.CharField(max_length=32)
    event_id = models.CharField(max_length=128)
    event_type = models.CharField(max_length=64)
    payload = models.JSONField()
    outcome = models.CharField(max_length=64, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "event_id"], name="webhook_event_once_per_provider"),
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.event_id} {self.event_type}"
