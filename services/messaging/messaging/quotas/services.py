"""Counting sends against the daily quota, and staff overrides of a user's limit."""

from __future__ import annotations

import uuid
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

from messaging.quotas.errors import QuotaErrorCode, QuotaExceeded
from messaging.quotas.models import DailyUsage, QuotaOverride
from messaging.quotas.selectors import QuotaStatus, quota_day, quota_limit, quota_resets_at
from servicekit.envelope.errors import ApplicationError

MAX_DAILY_LIMIT = 10_000_000


def quota_consume(*, user_id: uuid.UUID | str, now: datetime | None = None) -> QuotaStatus:
    """Count one message for today, or raise :class:`QuotaExceeded`.

    One statement does the check and the increment: the upsert takes the row lock, so of N
    concurrent sends with one message left exactly one gets it. Runs in the caller's
    transaction, so a send that fails later gives its unit back.
    """
    now = now or timezone.now()
    limit, is_overridden = quota_limit(user_id=user_id)
    day = quota_day(now)
    table = connection.ops.quote_name(DailyUsage._meta.db_table)
    count = None
    if limit > 0:
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (user_id, day, count) VALUES (%s, %s, 1) "
                f"ON CONFLICT (user_id, day) DO UPDATE SET count = {table}.count + 1 "
                f"WHERE {table}.count < %s RETURNING count",
                [str(user_id), day, limit],
            )
            row = cursor.fetchone()
            count = row[0] if row else None
    if count is None:
        used = (
            DailyUsage.objects.filter(user_id=user_id, day=day).values_list("count", flat=True).first() or 0
        )
        raise QuotaExceeded(limit=limit, used=used, resets_at=quota_resets_at(now), now=now)
    return QuotaStatus(limit=limit, used=count, resets_at=quota_resets_at(now), is_overridden=is_overridden)


@transaction.atomic
def quota_override_set(
    *,
    user_id: uuid.UUID | str,
    daily_limit: int | None,
    set_by: uuid.UUID | str | None = None,
    reason: str = "",
) -> QuotaOverride | None:
    """Staff set a user's daily limit; ``None`` returns the user to the default."""
    if daily_limit is None:
        QuotaOverride.objects.filter(user_id=user_id).delete()
        return None
    if not 0 <= daily_limit <= MAX_DAILY_LIMIT:
        raise ApplicationError(
            f"The daily limit must be between 0 and {MAX_DAILY_LIMIT}.",
            code=QuotaErrorCode.INVALID,
            details={"daily_limit": [f"Must be between 0 and {MAX_DAILY_LIMIT}."]},
        )
    override, _ = QuotaOverride.objects.update_or_create(
        user_id=user_id,
        defaults={
            "daily_limit": daily_limit,
            "set_by": set_by,
            "reason": reason[:255],
            "updated_at": timezone.now(),
        },
    )
    return override
