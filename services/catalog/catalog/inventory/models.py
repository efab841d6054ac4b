from django.db import models


class StockAdjustment(models.Model):
    """Audit trail of manual stock changes (restocks, write-offs, counts)."""

    product = models.ForeignKey(
        "products.Product", on_delete=models.CASCADE, related_name="stock_adjustments"
    )
    delta = models.IntegerField()
    stock_before = models.PositiveIntegerField()
    stock_after = models.PositiveIntegerField()
    reason = models.CharField(max_length=200)
    actor_id = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.delta:+d} {self.reason}"


class StockReservation(models.Model):
    """The catalog half of the checkout saga, one per order (the order id is the key).

    reserved → committed (order paid: on-hand decremented) or released (cancelled/expired);
    committed → returned (a paid order cancelled before shipping: its units back on hand).
    Rejected reservations hold nothing and remember why, so a redelivery answers the same.
    """

    class Status(models.TextChoices):
        RESERVED = "reserved"
        REJECTED = "rejected"
        RELEASED = "released"
        COMMITTED = "committed"
        RETURNED = "returned"

    order_id = models.UUIDField(unique=True)
    user_id = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices)
    reason = models.CharField(max_length=200, blank=True)
    failed_lines = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "created_at"], name="reservation_status_created")]

    def __str__(self) -> str:
        return f"{self.order_id} {self.status}"


class StockReservationLine(models.Model):
    # A plain id, not a foreign key: the reservation records what the order asked for even
    # if the product is deleted later (deleting a product with reserved stock is refused).
    reservation = models.ForeignKey(StockReservation, on_delete=models.CASCADE, related_name="lines")
    product_id = models.UUIDField(db_index=True)
    quantity = models.PositiveIntegerField()

    class Meta:
        ordering = ["product_id"]
        constraints = [
            models.UniqueConstraint(fields=["reservation", "product_id"], name="reservation_line_product"),
            models.CheckConstraint(
                condition=models.Q(quantity__gte=1), name="reservation_line_quantity_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product_id} x{self.quantity}"
