from django.db import models
from django.db.models import Q
from django.utils import timezone


class DailyUsage(models.Model):
    """Messages a user sent on one UTC day. Incremented by one conditional upsert
    (``quotas.services.quota_consume``), which is what makes concurrent sends count right."""

    user_id = models.UUIDField()
    day = models.DateField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user_id", "day"], name="daily_usage_once_per_day")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.day}: {self.count}"


class QuotaOverride(models.Model):
    """A daily limit staff set for one user instead of MESSAGING_DAILY_MESSAGE_LIMIT."""

    user_id = models.UUIDField(primary_key=True)
    daily_limit = models.PositiveIntegerField()
    set_by = models.UUIDField(null=True, blank=True)
    reason = models.CharField(max_length=255, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(daily_limit__gte=0), name="quota_override_not_negative")
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.daily_limit}/day"
