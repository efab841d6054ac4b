"""The commit job with the real tools: it verifies every uploaded object, so a corrupted or
missing one fails the job with a clear "Job failed: ..." line and fails the build."""

from __future__ import annotations

import pytest

from builds.builds.models import Build, BuildStateChange, RepoState
from builds.builds.services import build_commit
from builds.jobs.models import Job, JobStatus
from builds.jobs.runner import job_run
from builds.jobs.selectors import job_log_since
from builds.storage.layout import Storage
from tests.conftest import ACTOR, new_build, upload_app

pytestmark = pytest.mark.django_db


def _commit(build, run_jobs):
    with run_jobs():
        job, _ = build_commit(build_id=build.id, actor=ACTOR)
    job.refresh_from_db()
    build.refresh_from_db()
    return job


def _last_line(job):
    return job_log_since(job_id=job.id).splitlines()[-1]


def test_a_corrupted_object_fails_the_commit_with_a_clear_log_line(
    repository, app, run_jobs, captured_events
):
    build = new_build(repository)
    victim = next(name for name in app.object_names() if name.endswith(".filez"))
    corrupted = bytearray(app.object_bytes(victim))
    corrupted[-5] ^= 0xFF
    parts = [(n, [bytes(corrupted) if n == victim else app.object_bytes(n)]) for n in app.object_names()]
    from builds.builds.services import build_ref_create, build_upload

    build_upload(build=build, parts=parts)
    build_ref_create(build_id=build.id, ref_name=app.ref, commit=app.commit)

    job = _commit(build, run_jobs)

    assert job.status == JobStatus.BROKEN
    assert job.results is None
    line = _last_line(job)
    assert line.startswith("Job failed: flatpak build-commit-from exited with status 1: ")
    assert "Corrupted file object" in line and victim.split(".")[0] in line
    assert job_log_since(job_id=job.id).endswith("\n")
    assert build.repo_state == RepoState.FAILED
    assert build.repo_state_reason == line.removeprefix("Job failed: ")
    assert captured_events.types == ["builds.build.created", "builds.build.failed"]
    failed = captured_events.assert_published("builds.build.failed", stage="commit")
    assert failed.data["reason"] == build.repo_state_reason
    assert failed.data["creator"]["name"] == "ci"
    assert Storage.configured().upload_area(build.id).exists()  # kept for a look; purge removes it


def test_a_missing_object_fails_the_commit(repository, app, run_jobs, captured_events):
    build = new_build(repository)
    missing = next(name for name in app.object_names() if name.endswith(".filez"))
    upload_app(build, app, names=[name for name in app.object_names() if name != missing])

    job = _commit(build, run_jobs)

    assert job.status == JobStatus.BROKEN
    line = _last_line(job)
    assert line.startswith("Job failed: flatpak build-commit-from exited with status 1: ")
    assert f"Couldn't find file object '{missing.split('.')[0]}'" in line
    assert build.repo_state == RepoState.FAILED
    assert not captured_events.of_type("builds.build.committed")


def test_a_commit_that_names_an_unknown_commit_fails(repository, app, run_jobs):
    build = new_build(repository)
    upload_app(build, app)
    build.refs.update(commit="0" * 64)

    job = _commit(build, run_jobs)

    assert job.status == JobStatus.BROKEN
    assert "No such metadata object 0000" in _last_line(job)


def test_commit_is_safe_to_retry(repository, app, run_jobs, captured_events):
    build = new_build(repository)
    upload_app(build, app)
    job = _commit(build, run_jobs)
    assert build.repo_state == RepoState.READY

    with run_jobs():
        again, created = build_commit(build_id=build.id, actor=ACTOR)

    assert (again.id, created) == (job.id, False)
    assert Job.objects.filter(build_id=build.id).count() == 1
    assert len(captured_events.of_type("builds.build.committed")) == 1


def test_a_finished_job_is_not_run_again(repository, app, run_jobs):
    build = new_build(repository)
    upload_app(build, app)
    job = _commit(build, run_jobs)
    log_length = Job.objects.get(id=job.id).log_length
    changes = BuildStateChange.objects.filter(build=build).count()

    assert job_run(job_id=job.id) == JobStatus.ENDED

    assert Job.objects.get(id=job.id).log_length == log_length
    assert BuildStateChange.objects.filter(build=build).count() == changes


def test_a_job_found_started_runs_again_to_the_same_end(
    repository, app, run_jobs, django_capture_on_commit_callbacks
):
    """A worker died in the middle: the redelivered task runs the commit again."""
    build = new_build(repository)
    upload_app(build, app)
    with django_capture_on_commit_callbacks(execute=False):  # the task is "lost"
        job, _ = build_commit(build_id=build.id, actor=ACTOR)
    Job.objects.filter(id=job.id).update(status=JobStatus.STARTED, attempts=1)

    with run_jobs():
        assert job_run(job_id=job.id) == JobStatus.ENDED

    job.refresh_from_db()
    assert job.attempts == 2
    assert Build.objects.get(id=build.id).repo_state == RepoState.READY


def test_commit_options_reach_the_commit(repository, app, run_jobs, tmp_path):
    build = new_build(repository)
    upload_app(build, app)

    with run_jobs():
        job, _ = build_commit(build_id=build.id, actor=ACTOR, end_of_life="Use org.example.New", token_type=1)

    job.refresh_from_db()
    assert job.status == JobStatus.ENDED, job_log_since(job_id=job.id)
    assert job.contents == {
        "build": build.id,
        "endoflife": "Use org.example.New",
        "endoflife_rebase": None,
        "token_type": 1,
    }
    from tests.flatpak import sh

    metadata = sh(
        "ostree",
        "show",
        f"--repo={Storage.configured().build(build.id)}",
        "--print-metadata-key=ostree.endoflife",
        app.ref,
    )
    assert "Use org.example.New" in metadata
