from django.db import models
from django.utils import timezone


class WebhookReceipt(models.Model):
    """A provider webhook already handled: the same event id again is a replay, and a no-op."""

    provider = models.CharField(max_length=32)
    event_id = models.CharField(max_length=128)
    event_type = models.CharField(max_length=64, blank=True)
    session_name = models.CharField(max_length=64, blank=True)
    outcome = models.CharField(max_length=32)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["provider", "event_id"], name="webhook_receipt_once")]
        indexes = [models.Index(fields=["received_at"], name="webhook_receipt_received_idx")]

    def __str__(self) -> str:
        return f"{self.provider} {self.event_type} {self.event_id}"
