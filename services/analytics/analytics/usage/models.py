"""Daily usage per user, kept up to date as events and request logs arrive and rebuilt exactly
by ``manage.py rollup``. Three tables because two processes write them (the event consumer,
the request-log ingester): neither ever waits on a row the other holds."""

from django.db import models


class DailyActivity(models.Model):
    """What a user did on a day, counted from events."""

    pk = models.CompositePrimaryKey("user_id", "day")
    user_id = models.UUIDField()
    day = models.DateField()
    messages_sent = models.IntegerField(default=0)
    media_sent = models.IntegerField(default=0)
    orders_placed = models.IntegerField(default=0)
    builds_published = models.IntegerField(default=0)

    class Meta:
        db_table = "analytics_usage_activity"
        indexes = [models.Index(fields=["day"], name="analytics_usage_activity_day")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.day}"


class DailyRevenue(models.Model):
    """Money a user paid on a day, net of refunds, in one currency."""

    pk = models.CompositePrimaryKey("user_id", "day", "currency")
    user_id = models.UUIDField()
    day = models.DateField()
    currency = models.CharField(max_length=3)
    amount = models.DecimalField(max_digits=20, decimal_places=4, default=0)

    class Meta:
        db_table = "analytics_usage_revenue"
        indexes = [models.Index(fields=["day"], name="analytics_usage_revenue_day")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.day} {self.amount} {self.currency}"


class DailyRequests(models.Model):
    """API requests a user made on a day, counted from request logs."""

    pk = models.CompositePrimaryKey("user_id", "day")
    user_id = models.UUIDField()
    day = models.DateField()
    api_requests = models.IntegerField(default=0)

    class Meta:
        db_table = "analytics_usage_requests"
        indexes = [models.Index(fields=["day"], name="analytics_usage_requests_day")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.day} {self.api_requests}"
