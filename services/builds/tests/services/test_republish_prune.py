"""Republish (job kind 3) and prune (job kind 5) on a real main repository: a republished app
has a new commit on each of its refs that pulls, and a prune deletes the commits (and objects)
beyond the repository's retention and nothing within it."""

from __future__ import annotations

import pytest

from builds.builds.services import build_publish
from builds.jobs.models import Job, JobKind, JobStatus
from builds.jobs.selectors import job_log_since
from builds.repos.services import repository_prune, repository_republish, repository_update
from builds.storage.layout import Storage
from servicekit.envelope.errors import ApplicationError
from tests.conftest import ACTOR, committed_build
from tests.flatpak import make_app, ostree_pull, sh

pytestmark = pytest.mark.django_db


def _published(repository, app, run_jobs):
    build = committed_build(repository, app, run_jobs)
    with run_jobs():
        job, _ = build_publish(build_id=build.id, actor=ACTOR)
    job.refresh_from_db()
    assert job.status == JobStatus.ENDED, job_log_since(job_id=job.id)
    return build


def _commits(repo, ref) -> list[str]:
    """The commits of ``ref``'s history still in ``repo``, newest first."""
    history = sh("ostree", "log", f"--repo={repo}", ref)
    return [line.split()[1] for line in history.splitlines() if line.startswith("commit ")]


def test_republish_gives_each_ref_of_the_app_a_new_commit_with_the_same_content(
    repository, app, run_jobs, tmp_path
):
    _published(repository, app, run_jobs)
    main = Storage.configured().repository(repository.name)
    before = sh("ostree", "rev-parse", f"--repo={main}", app.ref)
    other = make_app(tmp_path / "other", app_id="org.example.Hello.Plugin")  # a longer id, untouched
    _published(repository, other, run_jobs)
    other_before = sh("ostree", "rev-parse", f"--repo={main}", other.ref)

    with run_jobs():
        job = repository_republish(
            repository=repository, app_id=app.app_id, end_of_life="Use org.example.Hello2"
        )

    job.refresh_from_db()
    log = job_log_since(job_id=job.id)
    assert (job.kind, job.status) == (JobKind.REPUBLISH, JobStatus.ENDED), log
    after = sh("ostree", "rev-parse", f"--repo={main}", app.ref)
    assert after != before
    assert job.results["refs"] == {app.ref: after}
    assert _commits(main, app.ref)[:2] == [after, before]  # the new commit's parent is the old head
    end_of_life = sh("ostree", "show", f"--repo={main}", "--print-metadata-key=ostree.endoflife", after)
    assert end_of_life == "'Use org.example.Hello2'"
    assert sh("ostree", "rev-parse", f"--repo={main}", other.ref) == other_before
    assert f"Re-publishing {app.ref}\n" in log and "Republishing refs to repo apps\n" in log
    update = Job.objects.get(id=job.results["update-repo-job"])
    assert (update.kind, update.status) == (JobKind.UPDATE_REPO, JobStatus.ENDED)
    pulled = tmp_path / "pulled"
    assert ostree_pull(f"file://{main}", app.ref, pulled) == after
    checkout = tmp_path / "checkout"
    sh("ostree", "checkout", f"--repo={pulled}", "-U", f"origin:{app.ref}", checkout)
    assert (checkout / "files" / "bin" / "hello").read_text() == "#!/bin/sh\necho hello\n"
    assert not list((Storage.configured().scratch()).iterdir())  # the scratch repository is gone


def test_republish_runs_the_publish_hook_on_the_new_commits(repository, app, run_jobs, tmp_path):
    _published(repository, app, run_jobs)
    marker = tmp_path / "hook-ran"
    repository_update(
        repository=repository,
        publish_hook={"command": ["sh", "-c", f'ostree refs --repo=. > "{marker}"']},
    )

    with run_jobs():
        job = repository_republish(repository=repository, app_id=app.app_id)

    job.refresh_from_db()
    assert job.status == JobStatus.ENDED, job_log_since(job_id=job.id)
    assert marker.read_text().split() == [app.ref]  # it saw the scratch repository, this app only


def test_republish_of_an_app_not_in_the_repository_fails_the_job(repository, run_jobs):
    with run_jobs():
        job = repository_republish(repository=repository, app_id="org.example.Missing")

    job.refresh_from_db()
    assert job.status == JobStatus.BROKEN
    assert job_log_since(job_id=job.id).splitlines()[-1] == (
        "Job failed: org.example.Missing has no published refs in apps"
    )


@pytest.mark.parametrize(
    ("field", "changes"),
    [
        ("app", {"app_id": "not an id"}),
        ("app", {"app_id": "org/../x"}),
        ("endoflife", {"app_id": "org.example.Hello", "end_of_life": "x" * 1025}),
        ("endoflife_rebase", {"app_id": "org.example.Hello", "end_of_life_rebase": "a b"}),
    ],
)
def test_republish_refuses_bad_input_and_queues_nothing(repository, field, changes):
    with pytest.raises(ApplicationError) as refused:
        repository_republish(repository=repository, **changes)

    assert refused.value.status_code == 400 and field in refused.value.details
    assert not Job.objects.filter(kind=JobKind.REPUBLISH).exists()


def test_prune_deletes_history_beyond_the_retention_and_keeps_the_rest(repository, run_jobs, tmp_path):
    repository_update(repository=repository, retention_count=5)
    for version in range(3):
        _published(repository, make_app(tmp_path / f"v{version}", text=f"hello version {version}"), run_jobs)
    main = Storage.configured().repository(repository.name)
    ref = "app/org.example.Hello/x86_64/stable"
    history = _commits(main, ref)
    assert len(history) == 3
    repository_update(repository=repository, retention_count=2)

    with run_jobs():
        job, created = repository_prune(repository=repository)

    job.refresh_from_db()
    log = job_log_since(job_id=job.id)
    assert created and (job.kind, job.status) == (JobKind.PRUNE, JobStatus.ENDED), log
    assert "Would delete:" in log and "Deleted " in log
    assert job.results["depth"] == 1
    assert _commits(main, ref) == history[:2]
    assert not sh_ok("ostree", "show", f"--repo={main}", history[2])  # the oldest commit is gone
    assert ostree_pull(f"file://{main}", ref, tmp_path / "pulled") == history[0]

    with run_jobs():
        again, _ = repository_prune(repository=repository)
    again.refresh_from_db()
    assert again.status == JobStatus.ENDED
    assert _commits(main, ref) == history[:2]  # within the retention: nothing more goes


def test_a_prune_not_started_yet_is_shared(repository, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        first, created = repository_prune(repository=repository)
        second, created_again = repository_prune(repository=repository)

    assert (created, created_again) == (True, False)
    assert first.id == second.id
    assert Job.objects.filter(kind=JobKind.PRUNE).count() == 1


def sh_ok(*args) -> bool:
    import subprocess

    return subprocess.run([str(a) for a in args], capture_output=True, check=False).returncode == 0
