"""The event store: every platform event, as published, in an append-only table partitioned
by day (``analytics.partitions``; the table itself is made by migration 0001)."""

from django.db import models
from django.db.models.functions import Now


class StoredEvent(models.Model):
    """One event. The key includes ``occurred_at`` because a unique index of a partitioned
    table must contain the partition key; a redelivered event carries its original envelope
    byte for byte (the producer's outbox keeps it), so (id, occurred_at) is as unique as the
    id itself. The consumer's inbox row is the first guard against redelivery, this key the
    second (it outlives the inbox's retention)."""

    pk = models.CompositePrimaryKey("event_id", "occurred_at")
    event_id = models.UUIDField()
    occurred_at = models.DateTimeField()
    type = models.TextField()
    version = models.IntegerField()
    subject = models.TextField()
    producer = models.TextField()
    correlation_id = models.TextField(blank=True, help_text="Empty: the envelope had none.")
    causation_id = models.TextField(blank=True, help_text="Empty: the envelope had none.")
    payload = models.JSONField()
    received_at = models.DateTimeField(db_default=Now())

    class Meta:
        db_table = "analytics_event"
        indexes = [
            models.Index(fields=["type", "occurred_at"], name="analytics_event_type_time"),
            models.Index(fields=["type", "subject"], name="analytics_event_type_subject"),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"
