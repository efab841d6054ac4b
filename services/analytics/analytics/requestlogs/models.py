"""API request logs: one row per request through the platform, partitioned by day like the
event store (the table is made by migration 0001), and the ingester's place in the stream."""

from django.db import models


class RequestLog(models.Model):
    """One request, as the service that answered it saw it (``servicekit.observability.requestlog``)."""

    pk = models.CompositePrimaryKey("id", "occurred_at")
    id = models.BigIntegerField()  # from a sequence: unique without the partition key
    occurred_at = models.DateTimeField(help_text="When the request arrived (UTC).")
    service = models.TextField()
    method = models.TextField()
    route = models.TextField(help_text="The URL pattern, not the path: /api/v1/orders/<uuid:pk>/.")
    status = models.SmallIntegerField()
    error_code = models.TextField(blank=True, help_text="The error envelope's code; empty for a success.")
    duration_ms = models.FloatField()
    user_id = models.UUIDField(null=True)
    client_ip = models.GenericIPAddressField(null=True)
    request_id = models.TextField()

    class Meta:
        db_table = "analytics_request_log"
        indexes = [
            models.Index(fields=["occurred_at"], name="analytics_request_log_time"),
            models.Index(fields=["service", "route", "occurred_at"], name="analytics_request_log_route"),
            models.Index(
                fields=["user_id", "occurred_at"],
                name="analytics_request_log_user",
                condition=models.Q(user_id__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.route} {self.status}"


class StreamCursor(models.Model):
    """The last stream entry stored, moved in the transaction that stores the entries after it:
    each entry is stored exactly once, whatever crashes in between."""

    stream = models.TextField(primary_key=True)
    last_id = models.TextField(default="0-0")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "analytics_request_log_cursor"

    def __str__(self) -> str:
        return f"{self.stream} @ {self.last_id}"
