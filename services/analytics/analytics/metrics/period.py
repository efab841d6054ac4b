"""The time range and granularity every metric is asked for."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from analytics.metrics.errors import MetricsErrorCode
from servicekit.envelope import ApplicationError

GRANULARITIES = {"hour": timedelta(hours=1), "day": timedelta(days=1), "week": timedelta(weeks=1)}
MAX_BUCKETS = 5000  # about seven months by the hour, fourteen years by the day


@dataclass(frozen=True)
class Period:
    """``start`` inclusive, ``end`` exclusive, both aware; buckets are UTC hours, days or weeks
    (Monday to Sunday), each labelled by its start."""

    start: datetime
    end: datetime
    granularity: str = "day"

    def __post_init__(self) -> None:
        problems: dict[str, list[str]] = {}
        if self.granularity not in GRANULARITIES:
            problems["granularity"] = [f"Must be one of {', '.join(GRANULARITIES)}."]
        for name in ("start", "end"):
            if getattr(self, name).tzinfo is None:
                problems[name] = ["Must carry a time zone."]
        if not problems and self.start >= self.end:
            problems["end"] = ["Must be after start."]
        if not problems and (self.end - self.start) / GRANULARITIES[self.granularity] > MAX_BUCKETS:
            problems["granularity"] = [
                f"More than {MAX_BUCKETS} buckets: choose a coarser one or a shorter range."
            ]
        if problems:
            raise ApplicationError(
                "The period is invalid.", code=MetricsErrorCode.INVALID_PERIOD, details=problems
            )
