"""Reads of quotas: a user's limit, today's use and when it resets."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.utils import timezone

from messaging.quotas.models import DailyUsage, QuotaOverride


@dataclass(frozen=True)
class QuotaStatus:
    limit: int
    used: int
    resets_at: datetime
    is_overridden: bool

    @property
    def remaining(self) -> int:
        return max(self.limit - self.used, 0)


def quota_day(now: datetime) -> date:
    """Quotas count per UTC day."""
    return now.astimezone(UTC).date()


def quota_resets_at(now: datetime) -> datetime:
    return datetime.combine(quota_day(now) + timedelta(days=1), time.min, tzinfo=UTC)


def quota_limit(*, user_id: uuid.UUID | str) -> tuple[int, bool]:
    """The user's daily limit, and whether staff set it."""
    override = QuotaOverride.objects.filter(user_id=user_id).values_list("daily_limit", flat=True).first()
    if override is not None:
        return override, True
    return settings.MESSAGING["DAILY_MESSAGE_LIMIT"], False


def quota_status(*, user_id: uuid.UUID | str, now: datetime | None = None) -> QuotaStatus:
    now = now or timezone.now()
    limit, is_overridden = quota_limit(user_id=user_id)
    used = (
        DailyUsage.objects.filter(user_id=user_id, day=quota_day(now)).values_list("count", flat=True).first()
        or 0
    )
    return QuotaStatus(limit=limit, used=used, resets_at=quota_resets_at(now), is_overridden=is_overridden)
