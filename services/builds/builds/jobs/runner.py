"""Running one job: the one place that moves a job through new → started → ended | broken.

Each kind has a handler (the explicit table ``HANDLERS``) with three steps:

``run(job, log)``
    The work with the real tools, outside any transaction; returns the results, or raises
    (``JobFailed``, ``ToolFailed``, anything else) to fail the job.
``succeeded(job, results)`` / ``failed(job, message)``
    The domain's state change (build states, checks, events), in one transaction with the
    job's own status, so a job is never "ended" without its effect or the other way round.
``cleanup(job)`` (optional)
    Best-effort work after success is recorded (removing an upload area).

A job runs at most once at a time (an advisory lock on its id); one whose handler
``locks_repository`` also holds its repository's lock, so publishes and update-repo jobs of one
repository never overlap. A job that is finished is not run again; one found ``started`` (its
worker died) is run again from the start, which is why handlers are idempotent, up to
``MAX_ATTEMPTS`` runs. Losing the database (refused or dropped connections) is not the job's
failure either: the error is raised to the task, which runs the job again shortly, and the job
stays ``started`` meanwhile.
"""

from __future__ import annotations

import logging
from contextlib import ExitStack
from typing import Any, Protocol

from celery import current_app
from celery.exceptions import SoftTimeLimitExceeded
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from builds.jobs.locks import advisory_lock, job_key, repository_key
from builds.jobs.models import Job, JobKind, JobStatus
from builds.jobs.services import job_log
from servicekit.celery import DATABASE_UNAVAILABLE

logger = logging.getLogger(__name__)


class JobFailed(Exception):
    """The job cannot do its work; the message is logged as ``Job failed: <message>``."""


class LogLine(Protocol):
    def __call__(self, text: str) -> None: ...


class JobHandler(Protocol):
    locks_repository: bool

    def run(self, job: Job, log: LogLine) -> dict[str, Any]: ...

    def succeeded(self, job: Job, results: dict[str, Any]) -> None: ...

    def failed(self, job: Job, message: str) -> None: ...


# A job found "started" this many times (its worker died or was killed each time) is broken.
MAX_ATTEMPTS = 3

HANDLERS: dict[int, str] = {
    JobKind.COMMIT: "builds.builds.work.commit.CommitJob",
    JobKind.CHECK: "builds.builds.work.checks.CheckJob",
    JobKind.PUBLISH: "builds.builds.work.publish.PublishJob",
    JobKind.UPDATE_REPO: "builds.builds.work.update_repo.UpdateRepoJob",
    JobKind.REPUBLISH: "builds.builds.work.republish.RepublishJob",
    JobKind.PRUNE: "builds.builds.work.prune.PruneJob",
}


def job_run(*, job_id: int) -> int | None:
    """Run the job if it is due and nobody else runs it; returns its status afterwards (None
    when another worker holds it or it does not exist)."""
    with advisory_lock(job_key(job_id), wait=False) as acquired:
        if not acquired:
            logger.info("job %s is being run by another worker", job_id)
            return None
        job = Job.objects.select_related("repository").filter(id=job_id).first()
        if job is None or job.is_finished:
            return job.status if job else None
        if _postpone(job):
            return job.status
        handler = _handler(job.kind)
        if job.status == JobStatus.STARTED and job.attempts >= MAX_ATTEMPTS:
            _fail(
                job,
                handler,
                JobFailed(f"gave up after {job.attempts} attempts (its worker stopped each time)"),
                _logger_for(job),
            )
            return JobStatus.BROKEN
        with ExitStack() as stack:
            if handler is not None and handler.locks_repository and job.repository_id:
                stack.enter_context(advisory_lock(repository_key(job.repository_id), wait=True))
            return _execute(job, handler)


def _execute(job: Job, handler: JobHandler | None) -> int:
    Job.objects.filter(id=job.id).update(
        status=JobStatus.STARTED, started_at=timezone.now(), attempts=job.attempts + 1
    )
    job.status = JobStatus.STARTED

    log = _logger_for(job)
    try:
        if handler is None:
            raise JobFailed(f"{job.get_kind_display()} jobs are not supported by this server")
        results = handler.run(job, log)
        with transaction.atomic():
            _finish(job, JobStatus.ENDED, results=results)
            handler.succeeded(job, results)
    except DATABASE_UNAVAILABLE:
        raise  # the task runs the job again once the database is back
    except Exception as error:  # a job never stays "started" because of a bug: it is broken
        _fail(job, handler, error, log)
        return JobStatus.BROKEN
    cleanup = getattr(handler, "cleanup", None)
    if cleanup is not None:
        try:
            cleanup(job)
        except OSError as error:
            logger.warning("job %s: cleanup failed: %s", job.id, error)
    return JobStatus.ENDED


def _logger_for(job: Job) -> LogLine:
    def log(text: str) -> None:
        job_log(job_id=job.id, text=text)

    return log


def _fail(job: Job, handler: JobHandler | None, error: Exception, log: LogLine) -> None:
    if isinstance(error, JobFailed) or _is_tool_failure(error):
        message = str(error)
    elif isinstance(error, SoftTimeLimitExceeded):
        message = "the job ran out of time (BUILDS_JOB_TIME_LIMIT_SECONDS) and was stopped"
    else:
        message = _internal(error)
    log(f"Job failed: {message}")
    try:
        with transaction.atomic():
            _finish(job, JobStatus.BROKEN, results=None)
            if handler is not None:
                handler.failed(job, message)
    except Exception:
        logger.exception("job %s: recording its failure failed; the job is broken all the same", job.id)
        with transaction.atomic():
            _finish(job, JobStatus.BROKEN, results=None)


def _finish(job: Job, status: JobStatus, *, results: dict[str, Any] | None) -> None:
    job.status, job.results, job.finished_at = status, results, timezone.now()
    Job.objects.filter(id=job.id).update(status=status, results=results, finished_at=job.finished_at)


def _postpone(job: Job) -> bool:
    """Send a job that is not due yet back to the queue until it is (tasks run in-process, as
    in tests, have no clock to wait on: they run now)."""
    if job.start_after is None or current_app.conf.task_always_eager:
        return False
    remaining = (job.start_after - timezone.now()).total_seconds()
    if remaining <= 0:
        return False
    from builds.jobs.services import job_dispatch

    job_dispatch(job_id=job.id, countdown=remaining)
    return True


def _handler(kind: int) -> JobHandler | None:
    path = HANDLERS.get(kind)
    return import_string(path)() if path else None


def _is_tool_failure(error: Exception) -> bool:
    from builds.storage.tools import ToolFailed

    return isinstance(error, ToolFailed | OSError)


def _internal(error: Exception) -> str:
    logger.exception("job failed with an unexpected error")
    return f"internal error ({type(error).__name__}: {error})"
