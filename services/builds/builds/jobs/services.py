"""Job writes: create and dispatch, append to the log, batch update-repo jobs, re-dispatch
jobs whose task was lost.

A job's task is sent after the transaction that created the job commits; when the broker is
down the job stays ``new`` and ``jobs_dispatch_stale`` (Celery beat) sends it later, so a
created job is never lost.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from kombu.exceptions import OperationalError

from builds.jobs.locks import is_locked_elsewhere, job_key
from builds.jobs.models import Job, JobKind, JobLogLine, JobStatus

logger = logging.getLogger(__name__)

# A job never dispatched (the broker was down) is dispatched again after UNDISPATCHED_AFTER; one
# not finished REDISPATCH_AFTER after it was last dispatched too (its task was lost, or its worker
# died). Running twice is harmless: a lock and the status guard the job.
UNDISPATCHED_AFTER = timedelta(minutes=1)
REDISPATCH_AFTER = timedelta(minutes=5)
NOTIFY_CHANNEL = "builds_job_log"


def job_create(
    *,
    kind: JobKind,
    contents: dict[str, Any],
    repository: Any = None,
    build_id: int | None = None,
    start_after: datetime | None = None,
) -> Job:
    """A new job, dispatched to a worker once the surrounding transaction commits."""
    job = Job.objects.create(
        kind=kind, contents=contents, repository=repository, build_id=build_id, start_after=start_after
    )
    delay = max(0.0, (start_after - timezone.now()).total_seconds()) if start_after else 0.0
    transaction.on_commit(lambda: job_dispatch(job_id=job.id, countdown=delay))
    return job


def job_dispatch(*, job_id: int, countdown: float = 0.0) -> bool:
    """Send the job's task (outside any transaction); False when the broker refused it."""
    from builds.jobs.tasks import run_job_task

    try:
        run_job_task.apply_async((job_id,), countdown=countdown or None)
    except (OperationalError, OSError):  # refused, dropped or unconfirmed (servicekit.celery.send_task)
        logger.warning("job %s: the broker is unavailable; it will be dispatched again later", job_id)
        return False
    Job.objects.filter(id=job_id).update(dispatched_at=timezone.now())
    return True


def job_log(*, job_id: int, text: str) -> int:
    """Append ``text`` (one or more lines, each stored ending in a newline) to the job's log, in
    its own transaction so followers see it at once; returns the log's new length."""
    lines = [line.replace("\x00", "") + "\n" for line in str(text).splitlines()] or ["\n"]
    with transaction.atomic():
        length = Job.objects.select_for_update().values_list("log_length", flat=True).get(id=job_id)
        rows = []
        for line in lines:
            length += len(line)
            rows.append(JobLogLine(job_id=job_id, end_offset=length, text=line))
        JobLogLine.objects.bulk_create(rows)
        Job.objects.filter(id=job_id).update(log_length=length)
        with connection.cursor() as cursor:  # wakes live followers (delivered on commit)
            cursor.execute("SELECT pg_notify(%s, %s)", [NOTIFY_CHANNEL, f"{job_id}:{length}"])
    logger.info("job %s: %s", job_id, str(text).rstrip("\n"))
    return length


def waiting_job(*, repository: Any, kind: int) -> Job | None:
    """The oldest job of ``kind`` for ``repository`` not started yet, locked until the caller's
    transaction ends: a job that need not run twice (update-repo, prune) is shared with it."""
    return (
        Job.objects.select_for_update()
        .filter(repository=repository, kind=kind, status=JobStatus.NEW)
        .order_by("id")
        .first()
    )


def update_repo_job_queue(*, repository: Any, log: Callable[[str], object]) -> int:
    """:func:`update_repo_job_schedule` for a job that changed ``repository`` (publish,
    republish): says in that job's ``log`` whether it queued the update or joined a waiting
    one, and returns the update job's id (the job's ``update-repo-job`` result)."""
    update_job, created = update_repo_job_schedule(repository=repository)
    log(
        f"Queued repository update job {update_job.id}"
        if created
        else f"Piggy-backed on existing update job {update_job.id}"
    )
    return update_job.id


def update_repo_job_schedule(*, repository: Any, delay_seconds: int | None = None) -> tuple[Job, bool]:
    """The update-repo job that will regenerate ``repository``'s summary, appstream and deltas:
    the one already waiting (publishes in the same window share it), else a new one starting
    ``BUILDS_UPDATE_REPO_DELAY_SECONDS`` from now. Returns ``(job, created)``.

    Callers that publish hold the repository's lock, and an update-repo job takes that lock
    before it starts, so a waiting job found here has not started yet.
    """
    with transaction.atomic():
        waiting = waiting_job(repository=repository, kind=JobKind.UPDATE_REPO)
        if waiting is not None:
            return waiting, False
        delay = settings.BUILDS["UPDATE_REPO_DELAY_SECONDS"] if delay_seconds is None else delay_seconds
        job = job_create(
            kind=JobKind.UPDATE_REPO,
            contents={"repo": repository.name},
            repository=repository,
            start_after=timezone.now() + timedelta(seconds=delay),
        )
        return job, True


def jobs_dispatch_stale(*, now: datetime | None = None, batch_size: int = 200) -> int:
    """Dispatch again the unfinished jobs whose task was lost (see ``REDISPATCH_AFTER``) and that
    no worker holds. Returns how many."""
    now = now or timezone.now()
    lost = Q(dispatched_at__isnull=True, created_at__lte=now - UNDISPATCHED_AFTER) | Q(
        dispatched_at__lte=now - REDISPATCH_AFTER
    )
    candidates = (
        Job.objects.filter(lost, status__in=[JobStatus.NEW, JobStatus.STARTED])
        .exclude(start_after__gt=now)
        .order_by("id")
        .values_list("id", flat=True)[:batch_size]
    )
    dispatched = 0
    for job_id in list(candidates):
        if not is_locked_elsewhere(job_key(job_id)) and job_dispatch(job_id=job_id):
            dispatched += 1
    if dispatched:
        logger.warning("dispatched %d jobs again (their tasks were lost)", dispatched)
    return dispatched
