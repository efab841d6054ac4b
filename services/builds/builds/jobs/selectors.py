"""Job reads: a job, its log from an offset, the jobs of a build."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from builds.jobs.models import Job, JobLogLine
from servicekit.envelope.errors import NotFound


def job_get(*, job_id: int) -> Job:
    job = Job.objects.select_related("repository").filter(id=job_id).first()
    if job is None:
        raise NotFound(f"No job {job_id}.", code="not_found")
    return job


def job_log_since(*, job_id: int, offset: int = 0) -> str:
    """The log text after ``offset`` characters (a negative offset counts as 0); a follower
    passes the length it has seen and gets only what is new."""
    offset = max(0, offset)
    lines = (
        JobLogLine.objects.filter(job_id=job_id, end_offset__gt=offset)
        .order_by("end_offset")
        .values_list("end_offset", "text")
    )
    return log_text_since(lines, offset)


def log_text_since(lines: Iterable[tuple[int, str]], offset: int) -> str:
    """The text after ``offset`` of ``(end_offset, text)`` lines ending after it, in order (the
    first may start before ``offset``: only its rest counts)."""
    parts = []
    for end_offset, text in lines:
        start = end_offset - len(text)
        parts.append(text[offset - start :] if start < offset else text)
    return "".join(parts)


def jobs_of_build(*, build_id: int) -> QuerySet[Job]:
    return Job.objects.filter(build_id=build_id).order_by("id")
