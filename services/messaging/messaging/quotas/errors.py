"""The quotas domain's error codes and the one error it raises."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from rest_framework import status

from servicekit.envelope.errors import ApplicationError


class QuotaErrorCode(StrEnum):
    QUOTA_EXCEEDED = "quota_exceeded"
    INVALID = "validation_error"


class QuotaExceeded(ApplicationError):
    """429 ``quota_exceeded``, saying when the quota resets (also as ``Retry-After``)."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    code = QuotaErrorCode.QUOTA_EXCEEDED

    def __init__(self, *, limit: int, used: int, resets_at: datetime, now: datetime) -> None:
        super().__init__(
            f"The daily limit of {limit} messages is reached; it resets at {resets_at.isoformat()}.",
            details={"limit": limit, "used": used, "resets_at": resets_at.isoformat()},
            headers={"Retry-After": str(max(1, int((resets_at - now).total_seconds())))},
        )
        self.limit = limit
        self.resets_at = resets_at
