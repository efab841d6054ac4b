"""The job runner: one run at a time per job, finished jobs stay finished, failures become a
"Job failed" line and a broken job, update-repo jobs are batched, lost jobs are dispatched
again."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.db.utils import InterfaceError, OperationalError
from django.utils import timezone

from builds.jobs import runner
from builds.jobs.locks import job_key
from builds.jobs.models import Job, JobKind, JobStatus
from builds.jobs.runner import job_run
from builds.jobs.selectors import job_log_since
from builds.jobs.services import jobs_dispatch_stale, update_repo_job_schedule
from tests.factories import JobFactory, RepositoryFactory

pytestmark = pytest.mark.django_db


def test_a_kind_without_a_handler_breaks_the_job(monkeypatch):
    monkeypatch.delitem(runner.HANDLERS, JobKind.REPUBLISH)
    job = JobFactory(kind=JobKind.REPUBLISH)

    assert job_run(job_id=job.id) == JobStatus.BROKEN

    job.refresh_from_db()
    assert job_log_since(job_id=job.id) == "Job failed: republish jobs are not supported by this server\n"
    assert (job.status, job.attempts, job.results) == (JobStatus.BROKEN, 1, None)
    assert job.started_at and job.finished_at


class Exploding:
    locks_repository = False
    failures: list[str] = []

    def run(self, job, log):
        log("about to fail")
        raise KeyError("surprise")

    def succeeded(self, job, results):
        raise AssertionError("not reached")

    def failed(self, job, message):
        Exploding.failures.append(message)


class Succeeding:
    locks_repository = True
    succeeded_with: list[dict] = []

    def run(self, job, log):
        log("working")
        return {"answer": 42}

    def succeeded(self, job, results):
        Succeeding.succeeded_with.append(results)

    def failed(self, job, message):
        raise AssertionError("not reached")


class DatabaseGone(Succeeding):
    """Loses the database once (its path was cut mid-job), then works."""

    calls = 0

    def run(self, job, log):
        DatabaseGone.calls += 1
        if DatabaseGone.calls == 1:
            raise OperationalError("connection to server at 127.0.0.1 failed: Connection refused")
        return super().run(job, log)


@pytest.fixture
def handlers(monkeypatch):
    monkeypatch.setitem(runner.HANDLERS, JobKind.CHECK, f"{__name__}.DatabaseGone")
    DatabaseGone.calls = 0
    monkeypatch.setitem(runner.HANDLERS, JobKind.PRUNE, f"{__name__}.Exploding")
    monkeypatch.setitem(runner.HANDLERS, JobKind.REPUBLISH, f"{__name__}.Succeeding")
    Exploding.failures.clear()
    Succeeding.succeeded_with.clear()


def test_an_unexpected_error_breaks_the_job_and_reports_it(handlers):
    job = JobFactory(kind=JobKind.PRUNE)

    assert job_run(job_id=job.id) == JobStatus.BROKEN

    assert (
        job_log_since(job_id=job.id) == "about to fail\nJob failed: internal error (KeyError: 'surprise')\n"
    )
    assert Exploding.failures == ["internal error (KeyError: 'surprise')"]


def test_a_database_outage_is_not_the_jobs_failure_the_task_runs_it_again(handlers):
    """A job was broken (and its build failed, and "Build N failed" mailed) because Postgres
    went away for a moment; now the error goes to the task, which retries the job."""
    job = JobFactory(kind=JobKind.CHECK)

    with pytest.raises(OperationalError):
        job_run(job_id=job.id)
    job.refresh_from_db()
    assert (job.status, job.attempts) == (JobStatus.STARTED, 1)
    assert "Job failed" not in job_log_since(job_id=job.id)

    assert job_run(job_id=job.id) == JobStatus.ENDED  # the retry
    job.refresh_from_db()
    assert (job.status, job.attempts, job.results) == (JobStatus.ENDED, 2, {"answer": 42})


def test_the_job_task_retries_while_the_database_is_away():
    from builds.jobs.tasks import run_job_task

    assert set(run_job_task.autoretry_for) == {OperationalError, InterfaceError}
    assert run_job_task.max_retries and run_job_task.retry_backoff


def test_success_records_results_with_the_handlers_effect(handlers):
    job = JobFactory(kind=JobKind.REPUBLISH, repository=RepositoryFactory())

    assert job_run(job_id=job.id) == JobStatus.ENDED

    job.refresh_from_db()
    assert (job.status, job.results) == (JobStatus.ENDED, {"answer": 42})
    assert Succeeding.succeeded_with == [{"answer": 42}]
    assert job_run(job_id=job.id) == JobStatus.ENDED  # not again
    assert Succeeding.succeeded_with == [{"answer": 42}]


@pytest.mark.django_db(transaction=True)
def test_a_job_held_by_another_worker_is_left_alone(handlers):
    job = JobFactory(kind=JobKind.REPUBLISH)
    held, release = threading.Event(), threading.Event()

    def other_worker():
        try:
            with connections["default"].cursor() as cursor:
                cursor.execute("SELECT pg_advisory_lock(%s)", [job_key(job.id)])
                held.set()
                release.wait(timeout=30)
                cursor.execute("SELECT pg_advisory_unlock(%s)", [job_key(job.id)])
        finally:
            connections.close_all()

    thread = threading.Thread(target=other_worker)
    thread.start()
    assert held.wait(timeout=30)
    try:
        assert job_run(job_id=job.id) is None
        assert Job.objects.get(id=job.id).status == JobStatus.NEW
    finally:
        release.set()
        thread.join(timeout=30)
    assert job_run(job_id=job.id) == JobStatus.ENDED


def test_locks_are_released_after_a_run(handlers):
    job = JobFactory(kind=JobKind.REPUBLISH, repository=RepositoryFactory())
    job_run(job_id=job.id)

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()")
        assert cursor.fetchone()[0] == 0


def test_publishes_in_one_window_share_one_update_repo_job(django_capture_on_commit_callbacks):
    repository, other = RepositoryFactory(), RepositoryFactory()

    with django_capture_on_commit_callbacks() as dispatches:
        first, created_first = update_repo_job_schedule(repository=repository, delay_seconds=30)
        second, created_second = update_repo_job_schedule(repository=repository, delay_seconds=30)
        elsewhere, _ = update_repo_job_schedule(repository=other, delay_seconds=30)

    assert (created_first, created_second) == (True, False)
    assert first.id == second.id != elsewhere.id
    assert first.contents == {"repo": repository.name}
    assert 29 < (first.start_after - timezone.now()).total_seconds() <= 30
    assert len(dispatches) == 2
    Job.objects.filter(id=first.id).update(status=JobStatus.STARTED)  # once it runs, a new one is needed
    third, created_third = update_repo_job_schedule(repository=repository)
    assert created_third and third.id != first.id


def test_lost_jobs_are_dispatched_again_and_recent_or_future_ones_are_not(handlers, run_jobs):
    now = timezone.now()
    lost = JobFactory(kind=JobKind.REPUBLISH, created_at=now - timedelta(minutes=2))
    stuck = JobFactory(
        kind=JobKind.REPUBLISH,
        status=JobStatus.STARTED,
        created_at=now - timedelta(hours=1),
        dispatched_at=now - timedelta(minutes=10),
    )
    fresh = JobFactory(kind=JobKind.REPUBLISH, created_at=now)
    dispatched_recently = JobFactory(
        kind=JobKind.REPUBLISH, created_at=now - timedelta(hours=1), dispatched_at=now - timedelta(minutes=1)
    )
    not_due = JobFactory(
        kind=JobKind.REPUBLISH, created_at=now - timedelta(hours=1), start_after=now + timedelta(minutes=5)
    )
    done = JobFactory(kind=JobKind.REPUBLISH, status=JobStatus.ENDED, created_at=now - timedelta(hours=1))

    with run_jobs():  # tasks run in-process here
        assert jobs_dispatch_stale(now=now) == 2

    status = dict(Job.objects.values_list("id", "status"))
    assert status[lost.id] == status[stuck.id] == JobStatus.ENDED
    for untouched in (fresh, dispatched_recently, not_due):
        assert status[untouched.id] == JobStatus.NEW
    assert status[done.id] == JobStatus.ENDED
    assert Job.objects.get(id=lost.id).dispatched_at is not None


def test_the_beat_schedule_names_registered_tasks():
    from django.conf import settings

    from builds.celery import app

    assert {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()} <= set(app.tasks)


def test_a_job_whose_worker_keeps_dying_is_given_up(handlers):
    job = JobFactory(kind=JobKind.PRUNE, status=JobStatus.STARTED, attempts=3)

    assert job_run(job_id=job.id) == JobStatus.BROKEN

    assert (
        job_log_since(job_id=job.id)
        == "Job failed: gave up after 3 attempts (its worker stopped each time)\n"
    )
    assert Exploding.failures == ["gave up after 3 attempts (its worker stopped each time)"]
    assert Job.objects.get(id=job.id).attempts == 3
