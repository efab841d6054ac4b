"""The service's outbox (events to publish) and inbox (events already handled).

Both live in the service's own schema, next to its domain tables, so an event is
recorded in the same transaction as the change it describes.
"""

from __future__ import annotations

from django.db import models
from django.db.models.functions import Now

from servicekit.events.tables import INBOX_TABLE, OUTBOX_TABLE


class OutboxEvent(models.Model):
    """One event to publish. ``id`` is the publication order; the relay moves a row from
    pending (``sent_at`` null, unclaimed) to in flight (``claimed_until`` set) to sent."""

    id = models.BigAutoField(primary_key=True)
    event_id = models.UUIDField()
    type = models.CharField(max_length=200)
    subject = models.CharField(max_length=200)
    body = models.TextField(help_text="The envelope exactly as it is published.")
    created_at = models.DateTimeField(db_default=Now())
    available_at = models.DateTimeField(db_default=Now(), help_text="Not published before (retry backoff).")
    claimed_until = models.DateTimeField(null=True, help_text="In flight: a relay holds it until then.")
    attempts = models.PositiveIntegerField(db_default=0)
    last_error = models.TextField(db_default="", blank=True)
    sent_at = models.DateTimeField(null=True)

    class Meta:
        db_table = OUTBOX_TABLE
        indexes = [
            models.Index(
                fields=["id"], name="event_outbox_pending", condition=models.Q(sent_at__isnull=True)
            ),
            models.Index(
                fields=["subject", "id"],
                name="event_outbox_subject",
                condition=models.Q(sent_at__isnull=True),
            ),
            models.Index(
                fields=["sent_at"], name="event_outbox_sent", condition=models.Q(sent_at__isnull=False)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"


class InboxEvent(models.Model):
    """One (event, handler) pair that has run: inserted in the handler's transaction, so a
    redelivered event finds it and is not handled twice."""

    pk = models.CompositePrimaryKey("event_id", "handler")
    event_id = models.UUIDField()
    handler = models.CharField(max_length=200)
    type = models.CharField(max_length=200)
    handled_at = models.DateTimeField()

    class Meta:
        db_table = INBOX_TABLE
        indexes = [models.Index(fields=["handled_at"], name="event_inbox_handled_at")]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id} → {self.handler}"
