"""The whole way with the real tools: upload an app's objects into a build, commit it (checksums
verified), publish it into the main repository, and pull it with ostree."""

from __future__ import annotations

import pytest

from builds.builds.models import Build, PublishedState, RepoState
from builds.builds.services import build_commit, build_publish
from builds.jobs.models import Job, JobKind, JobStatus
from builds.jobs.selectors import job_log_since
from builds.storage.layout import Storage
from tests.conftest import ACTOR, committed_build, new_build, upload_app
from tests.flatpak import flatpak_remote_ls, make_app, ostree_pull, sh

pytestmark = pytest.mark.django_db


def test_upload_commit_publish_then_ostree_pull_works(repository, app, run_jobs, captured_events, tmp_path):
    build = new_build(repository)
    upload_app(build, app)

    with run_jobs():
        commit_job, created = build_commit(build_id=build.id, actor=ACTOR)
    assert created

    build.refresh_from_db()
    commit_job.refresh_from_db()
    assert commit_job.status == JobStatus.ENDED, job_log_since(job_id=commit_job.id)
    assert build.repo_state == RepoState.READY
    committed = commit_job.results["refs"][app.ref]
    assert len(committed) == 64 and committed != app.commit  # a new commit in the build repository
    storage = Storage.configured()
    assert not storage.upload_area(build.id).exists()
    assert (
        (storage.build(build.id) / "org.example.Hello.flatpakref").read_text().startswith("[Flatpak Ref]\n")
    )

    with run_jobs():
        publish_job, created = build_publish(build_id=build.id, actor=ACTOR)

    build.refresh_from_db()
    publish_job.refresh_from_db()
    assert publish_job.status == JobStatus.ENDED, job_log_since(job_id=publish_job.id)
    assert build.published_state == PublishedState.PUBLISHED
    published = publish_job.results["refs"][app.ref]
    update_job = Job.objects.get(id=publish_job.results["update-repo-job"])
    assert update_job.kind == JobKind.UPDATE_REPO
    assert update_job.status == JobStatus.ENDED, job_log_since(job_id=update_job.id)

    main = storage.repository(repository.name)
    pulled = ostree_pull(f"file://{main}", app.ref, tmp_path / "pulled")
    assert pulled == published
    assert flatpak_remote_ls(f"file://{main}", tmp_path / "home").splitlines() == [app.ref]
    assert (main / "summary").exists()
    assert (main / "appstream" / "org.example.Hello.flatpakref").exists()
    assert captured_events.types == [
        "builds.build.created",
        "builds.build.committed",
        "builds.build.published",
    ]
    event = captured_events.assert_published("builds.build.published", subject=str(build.id))
    assert event.data["creator"] == {"user_id": ACTOR.user_id, "token_sub": "build", "name": "ci"}
    assert event.data["refs"] == {app.ref: published}


def _ready(repository, app, run_jobs):
    build = committed_build(repository, app, run_jobs)
    assert build.repo_state == RepoState.READY
    return build


def _publish(build, run_jobs):
    with run_jobs():
        job, created = build_publish(build_id=build.id, actor=ACTOR)
    job.refresh_from_db()
    build.refresh_from_db()
    return job, created


def test_a_retried_publish_of_a_published_build_answers_its_result(
    repository, app, run_jobs, captured_events
):
    build = _ready(repository, app, run_jobs)
    job, created = _publish(build, run_jobs)
    assert created and job.status == JobStatus.ENDED
    main = Storage.configured().repository(repository.name)
    head = sh("ostree", "rev-parse", f"--repo={main}", app.ref)

    again, created = _publish(build, run_jobs)

    assert (again.id, created) == (job.id, False)
    assert (
        again.results
        == job.results
        == {"refs": {app.ref: head}, "update-repo-job": job.results["update-repo-job"]}
    )
    assert sh("ostree", "rev-parse", f"--repo={main}", app.ref) == head  # nothing imported again
    assert len(captured_events.of_type("builds.build.published")) == 1
    assert Job.objects.filter(kind=JobKind.PUBLISH).count() == 1


def test_publish_asked_while_publishing_answers_the_running_job(
    repository, app, run_jobs, django_capture_on_commit_callbacks
):
    build = _ready(repository, app, run_jobs)
    with django_capture_on_commit_callbacks(execute=False):  # the job has not run yet
        job, _ = build_publish(build_id=build.id, actor=ACTOR)

    again, created = build_publish(build_id=build.id, actor=ACTOR)

    assert (again.id, created) == (job.id, False)
    assert Build.objects.get(id=build.id).published_state == PublishedState.PUBLISHING


def test_a_failed_publish_can_be_retried(repository, app, run_jobs, captured_events):
    from builds.repos.services import repository_update

    repository_update(repository=repository, publish_hook={"command": ["false"]})
    build = _ready(repository, app, run_jobs)

    job, _ = _publish(build, run_jobs)

    assert job.status == JobStatus.BROKEN
    assert job_log_since(job_id=job.id).splitlines()[-1] == "Job failed: false exited with status 1"
    assert (build.published_state, build.published_state_reason) == (
        PublishedState.FAILED,
        "false exited with status 1",
    )
    captured_events.assert_published("builds.build.failed", stage="publish")
    main = Storage.configured().repository(repository.name)
    assert app.ref not in sh("ostree", "refs", f"--repo={main}")

    repository_update(repository=repository, publish_hook={"command": ["true"]})
    retry, created = _publish(build, run_jobs)

    assert created and retry.id != job.id
    assert retry.status == JobStatus.ENDED
    assert build.published_state == PublishedState.PUBLISHED
    assert app.ref in sh("ostree", "refs", f"--repo={main}")


def test_publishing_beyond_retention_purges_the_oldest_build_and_prunes_history(
    repository, app_template, run_jobs, captured_events, tmp_path
):
    from tests.flatpak import make_app

    assert repository.retention_count == 2
    builds = []
    for version in range(3):
        app = make_app(tmp_path / f"v{version}", text=f"hello version {version}")
        build = _ready(repository, app, run_jobs)
        _publish(build, run_jobs)
        builds.append(build)
    other_app = make_app(tmp_path / "other", app_id="org.example.Other")
    other = _ready(repository, other_app, run_jobs)
    _publish(other, run_jobs)

    for build in builds:
        build.refresh_from_db()
    assert [b.repo_state for b in builds] == [RepoState.PURGED, RepoState.READY, RepoState.READY]
    assert all(b.published_state == PublishedState.PUBLISHED for b in builds)
    assert not Storage.configured().build(builds[0].id).exists()
    assert Storage.configured().build(builds[1].id).exists()
    assert Build.objects.get(id=other.id).repo_state == RepoState.READY
    purged = captured_events.assert_published("builds.build.purged", subject=str(builds[0].id))
    assert purged.data["reason"] == "retention"
    assert len(captured_events.of_type("builds.build.purged")) == 1

    main = Storage.configured().repository(repository.name)
    history = sh("ostree", "log", f"--repo={main}", app.ref)
    assert history.count("\ncommit ") + history.startswith("commit ") == 2  # pruned to the retention depth


def test_publishing_extracts_the_builds_screenshots_into_the_repository(repository, app, run_jobs, tmp_path):
    from builds.builds.services import build_ref_create
    from tests.flatpak import add_screenshots

    png = b"\x89PNG\r\n\x1a\n fake image"
    ref, commit = add_screenshots(app, {"org.example.Hello/624x351/shot-1.png": png})
    build = new_build(repository)
    upload_app(build, app)  # every object of the repository, the screenshots' too
    build_ref_create(build_id=build.id, ref_name=ref, commit=commit)
    with run_jobs():
        commit_job, _ = build_commit(build_id=build.id, actor=ACTOR)
    commit_job.refresh_from_db()
    assert commit_job.status == JobStatus.ENDED, job_log_since(job_id=commit_job.id)
    build_repo = Storage.configured().build(build.id)
    assert sh("ostree", "rev-parse", f"--repo={build_repo}", ref) == commit_job.results["refs"][ref]

    job, _ = _publish(build, run_jobs)

    assert job.status == JobStatus.ENDED, job_log_since(job_id=job.id)
    assert f"extracting {ref}\n" in job_log_since(job_id=job.id)
    main = Storage.configured().repository(repository.name)
    shot = main / "screenshots" / "org.example.Hello" / "624x351" / "shot-1.png"
    assert shot.read_bytes() == png
    assert shot.stat().st_mode & 0o777 == 0o644  # plain, world-readable files nginx can serve
    assert set(job.results["refs"]) == {app.ref}  # the screenshots are files, not a published ref
    assert ostree_pull(f"file://{main}", app.ref, tmp_path / "pulled") == job.results["refs"][app.ref]

    second = make_app(tmp_path / "second", app_id="org.example.Hello", text="v2")
    ref, commit = add_screenshots(second, {"org.example.Hello/624x351/shot-2.png": png})
    later = new_build(repository)
    upload_app(later, second)
    build_ref_create(build_id=later.id, ref_name=ref, commit=commit)
    with run_jobs():
        build_commit(build_id=later.id, actor=ACTOR)
    _publish(later, run_jobs)
    assert shot.exists() and shot.with_name("shot-2.png").exists()  # merged (--union), not replaced


def test_a_repository_with_a_collection_id_publishes_extra_ids_too(app, run_jobs, tmp_path):
    from builds.builds.services import build_add_extra_ids
    from builds.repos.services import repository_create

    repository = repository_create(name="flathub", collection_id="org.example.Hub")
    build = new_build(repository)
    upload_app(build, app)
    build_add_extra_ids(build_id=build.id, ids=["Beta"])
    with run_jobs():
        build_commit(build_id=build.id, actor=ACTOR)
    job, _ = _publish(build, run_jobs)

    assert job.status == JobStatus.ENDED, job_log_since(job_id=job.id)
    main = Storage.configured().repository("flathub")
    collections = sh("ostree", "refs", f"--repo={main}", "--collections")
    assert f"(org.example.Hub, {app.ref})" in collections
    assert f"(org.example.Hub.Beta, {app.ref})" in collections
    build_config = (Storage.configured().build(build.id) / "config").read_text()
    assert f"collection-id=org.example.Hub.Build{build.id}" in build_config
    pulled = ostree_pull(f"file://{main}", app.ref, tmp_path / "pulled")
    assert pulled == job.results["refs"][app.ref]
