from django.db import models
from django.db.models import Q


class Cart(models.Model):
    """One cart per user; lines point at the product read model, prices are read live."""

    user_id = models.UUIDField(unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"cart of {self.user_id}"


class CartLine(models.Model):
    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey("products.Product", on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField()
    added_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["added_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["cart", "product"], name="cart_line_one_per_product"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="cart_line_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.product_id}"


class CartIdempotencyKey(models.Model):
    """An ``Idempotency-Key`` a user sent with an add to the cart, the body it came with, and
    what that add did (which product, and whether it made a new line: 201, or grew one: 200).

    The row is inserted before the cart is touched, in the add's transaction: a concurrent
    add with the same key waits on the unique constraint and then replays, so exactly one of
    them adds. Kept ``ORDER_IDEMPOTENCY_KEY_RETENTION_HOURS`` like checkout's keys, then
    pruned by the same beat task; a key sent again after that adds again.
    """

    user_id = models.UUIDField()
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)  # SHA-256 of the canonical request body
    product_id = models.UUIDField()  # not a foreign key: the product may be gone by a replay
    is_new_line = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user_id", "key"], name="cart_idempotency_key_per_user"),
        ]
        indexes = [models.Index(fields=["created_at"], name="cart_idem_key_created_idx")]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key}"
