"""Models the event tests observe: what handlers did, and a switch to 'fix' a poison handler."""

from django.db import models


class Effect(models.Model):
    """One row per event a handler saw; ``count`` > 1 would mean a second effect."""

    event_id = models.UUIDField(unique=True)
    subject = models.CharField(max_length=200)
    n = models.IntegerField()
    count = models.IntegerField(default=1)
    handled_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.event_id} ×{self.count}"


class Switch(models.Model):
    name = models.CharField(max_length=50, primary_key=True)
    is_on = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"{self.name}={self.is_on}"


class Ticket(models.Model):
    """A row with a state machine (servicekit.states)."""

    class Status(models.TextChoices):
        OPEN = "open"
        CLOSED = "closed"
        ARCHIVED = "archived"

    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    closed_reason = models.CharField(max_length=100, blank=True)
    title = models.CharField(max_length=100, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"ticket {self.pk} ({self.status})"


class IdempotencyKey(models.Model):
    """A key row as servicekit.idempotency.claim_key expects one, with what its request made."""

    user_id = models.UUIDField()
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    made = models.CharField(max_length=50, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user_id", "key"], name="testapp_key_per_user")]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key}"
