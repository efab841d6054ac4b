"""The whole way with the real tools: upload an app's objects into a build, commit it (checksums
verified), publish it into the main repository, and pull it with ostree."""

from __future__ import annotations

import pytest

from builds.builds.models import PublishedState, RepoState
from builds.builds.services import build_commit, build_publish
from builds.jobs.models import Job, JobKind, JobStatus
from builds.jobs.selectors import job_log_since
from builds.storage.layout import Storage
from tests.conftest import ACTOR, new_build, upload_app
from tests.flatpak import ostree_pull

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
