import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone

from servicekit.money import AMOUNT_DECIMAL_PLACES, AMOUNT_MAX_DIGITS


class OrderStatus(models.TextChoices):
    PENDING = "pending", "Pending (waiting for stock)"
    CONFIRMED = "confirmed", "Confirmed (awaiting payment)"
    REJECTED = "rejected", "Rejected (stock unavailable)"
    PAID = "paid", "Paid"
    SHIPPED = "shipped", "Shipped"
    COMPLETED = "completed", "Completed (delivered)"
    CANCELLED = "cancelled", "Cancelled"


# The order state machine: the one table of allowed transitions. Anything not listed is
# refused (409 ``conflict`` from the API; logged and ignored when an event asks for it).
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    OrderStatus.PENDING: frozenset({OrderStatus.CONFIRMED, OrderStatus.REJECTED, OrderStatus.CANCELLED}),
    OrderStatus.CONFIRMED: frozenset({OrderStatus.PAID, OrderStatus.CANCELLED}),
    OrderStatus.PAID: frozenset({OrderStatus.SHIPPED, OrderStatus.CANCELLED}),
    OrderStatus.SHIPPED: frozenset({OrderStatus.COMPLETED}),
    OrderStatus.REJECTED: frozenset(),
    OrderStatus.CANCELLED: frozenset(),
    OrderStatus.COMPLETED: frozenset(),
}

# Owners may cancel until the order ships.
CUSTOMER_CANCELLABLE = frozenset({OrderStatus.PENDING, OrderStatus.CONFIRMED, OrderStatus.PAID})


class CancellationReason(models.TextChoices):
    CUSTOMER = "customer"
    STAFF = "staff"
    EXPIRED = "expired"  # confirmed, not paid by payment_due_at
    PAYMENT_FAILED = "payment_failed"
    STOCK_TIMEOUT = "stock_timeout"  # pending, catalog never answered (ORDER_PENDING_TIMEOUT_SECONDS)


class Order(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user_id = models.UUIDField()
    status = models.CharField(max_length=16, choices=OrderStatus.choices, default=OrderStatus.PENDING)
    currency = models.CharField(max_length=3)
    total = models.DecimalField(max_digits=AMOUNT_MAX_DIGITS, decimal_places=AMOUNT_DECIMAL_PLACES)
    shipping_address = models.JSONField()

    # Why the order is where it is, in words the customer can read (rejections, cancellations).
    status_reason = models.CharField(max_length=255, blank=True)
    rejection_details = models.JSONField(default=list, blank=True)  # catalog's failed_lines
    cancellation_reason = models.CharField(max_length=16, choices=CancellationReason.choices, blank=True)
    payment_due_at = models.DateTimeField(null=True, blank=True)
    carrier = models.CharField(max_length=64, blank=True)
    tracking_number = models.CharField(max_length=128, blank=True)

    placed_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    rejected_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-placed_at", "-id"]
        indexes = [
            models.Index(fields=["user_id", "-placed_at"], name="order_user_placed_idx"),
            models.Index(fields=["status", "-placed_at"], name="order_status_placed_idx"),
            models.Index(
                fields=["payment_due_at"],
                name="order_awaiting_payment_idx",
                condition=Q(status=OrderStatus.CONFIRMED),
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(total__gte=0), name="order_total_not_negative"),
            models.CheckConstraint(condition=Q(status__in=OrderStatus.values), name="order_status_known"),
        ]

    def __str__(self) -> str:
        return f"order {self.id} ({self.status})"

    def can_transition_to(self, status: str) -> bool:
        return status in ALLOWED_TRANSITIONS[self.status]


class OrderLine(models.Model):
    """What was bought, frozen at checkout: later catalog changes never alter an order."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product_id = models.UUIDField()
    sku = models.CharField(max_length=64, blank=True)
    name = models.CharField(max_length=255)
    unit_price = models.DecimalField(max_digits=AMOUNT_MAX_DIGITS, decimal_places=AMOUNT_DECIMAL_PLACES)
    quantity = models.PositiveIntegerField()
    line_total = models.DecimalField(max_digits=AMOUNT_MAX_DIGITS, decimal_places=AMOUNT_DECIMAL_PLACES)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["order", "product_id"], name="order_line_one_per_product"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="order_line_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.name}"


class OrderStatusChange(models.Model):
    """The order's history: every transition, who made it and why."""

    class Actor(models.TextChoices):
        CUSTOMER = "customer"
        STAFF = "staff"
        SYSTEM = "system"

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=16, choices=OrderStatus.choices, blank=True)
    to_status = models.CharField(max_length=16, choices=OrderStatus.choices)
    actor = models.CharField(max_length=16, choices=Actor.choices)
    actor_id = models.UUIDField(null=True, blank=True)
    reason = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.from_status or '∅'} → {self.to_status}"


class CheckoutIdempotencyKey(models.Model):
    """An ``Idempotency-Key`` a user sent to checkout, the body it came with, and its order.

    The unique constraint is what makes two concurrent requests with one key produce
    exactly one order: the second insert waits for the first transaction and then fails.
    Keys are kept ``ORDER_IDEMPOTENCY_KEY_RETENTION_HOURS`` and then pruned (hence the index
    on ``created_at``); a key used again after that checks out anew.
    """

    user_id = models.UUIDField()
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)  # SHA-256 of the canonical request body
    order = models.OneToOneField(Order, on_delete=models.CASCADE, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user_id", "key"], name="checkout_idempotency_key_per_user"),
        ]
        indexes = [models.Index(fields=["created_at"], name="checkout_idem_key_created_idx")]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key}"
