"""A job queued while RabbitMQ is down: the request answers as usual (the job committed), its
task could not be sent, and beat's jobs_dispatch_stale sends it once the job is old enough. The
broker is a real closed port (servicekit.testing.celery.broker_down)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from builds.celery import app
from builds.jobs.models import Job, JobStatus
from builds.jobs.selectors import job_log_since
from builds.jobs.services import jobs_dispatch_stale
from servicekit.testing.celery import broker_down

pytestmark = pytest.mark.django_db


def test_a_prune_queued_while_the_broker_is_down_answers_202_and_runs_after_the_sweep(
    staff_client, repository, run_jobs, caplog
):
    with broker_down(app), run_jobs():
        response = staff_client.post("/api/v1/builds/repos/apps/prune/")

    assert response.status_code == 202, response.content
    job = Job.objects.get(id=response.json()["data"]["id"])
    assert (job.status, job.dispatched_at) == (JobStatus.NEW, None)  # its task was lost
    assert "the broker is unavailable" in caplog.text

    assert jobs_dispatch_stale() == 0  # too recent: its task might still be on its way
    with run_jobs():  # the broker is back (tasks are eager here)
        assert jobs_dispatch_stale(now=timezone.now() + timedelta(minutes=2)) == 1

    job.refresh_from_db()
    assert job.status == JobStatus.ENDED, job_log_since(job_id=job.id)
    assert job.dispatched_at is not None
