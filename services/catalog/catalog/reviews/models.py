import uuid

from django.db import models


class Review(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    product = models.ForeignKey("products.Product", on_delete=models.CASCADE, related_name="reviews")
    user_id = models.CharField(max_length=64)
    rating = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    is_visible = models.BooleanField(default=True)  # staff moderation hides, never deletes
    moderated_by = models.CharField(max_length=64, blank=True)
    moderated_at = models.DateTimeField(null=True, blank=True)
    moderation_reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["product", "user_id"], name="review_one_per_user_and_product"),
            models.CheckConstraint(
                condition=models.Q(rating__gte=1, rating__lte=5), name="review_rating_1_to_5"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rating}/5 {self.title}"


class Purchase(models.Model):
    """A user bought a product, as told by orders' paid/completed events: review eligibility."""

    user_id = models.CharField(max_length=64)
    product_id = models.UUIDField()
    order_id = models.UUIDField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user_id", "product_id", "order_id"], name="purchase_unique"),
        ]
        indexes = [models.Index(fields=["user_id", "product_id"], name="purchase_user_product")]

    def __str__(self) -> str:
        return f"{self.user_id} bought {self.product_id}"
