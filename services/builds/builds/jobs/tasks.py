"""Celery tasks of the jobs domain (idempotent: a job runs at most once at a time and never
again once finished; acks late, so a job whose worker died is delivered again)."""

from celery import shared_task
from django.conf import settings

from builds.jobs.runner import job_run
from builds.jobs.services import jobs_dispatch_stale
from servicekit.celery import DATABASE_UNAVAILABLE


@shared_task(
    name="builds.jobs.run",
    acks_late=True,
    time_limit=settings.BUILDS["JOB_TIME_LIMIT_SECONDS"],
    soft_time_limit=settings.BUILDS["JOB_TIME_LIMIT_SECONDS"] - 60,
    # The database away (restarting, its path cut): run the job again in 1, 2, 4 … 30 s. Past
    # the last retry the job is left to jobs_dispatch_stale.
    autoretry_for=DATABASE_UNAVAILABLE,
    retry_backoff=1,
    retry_backoff_max=30,
    retry_jitter=False,
    max_retries=12,
)
def run_job_task(job_id: int) -> int | None:
    return job_run(job_id=job_id)


@shared_task(name="builds.jobs.dispatch_stale", acks_late=True)
def dispatch_stale_jobs_task() -> int:
    """Run by Celery beat every minute: dispatches again jobs whose task was lost."""
    return jobs_dispatch_stale()
