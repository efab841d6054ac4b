"""Check hooks run as jobs after a commit; the build waits in validating until each finished,
then is ready (all passed) or failed; publishing needs every check passed; staff review a
reviewable check."""

from __future__ import annotations

import sys

import pytest

from builds.builds.creators import Actor
from builds.builds.errors import WrongState
from builds.builds.models import Build, Check, CheckStatus, PublishedState, RepoState
from builds.builds.services import build_publish, check_review
from builds.jobs.models import Job, JobKind, JobStatus
from builds.jobs.selectors import job_log_since
from builds.repos.services import repository_update
from servicekit.envelope.errors import ApplicationError
from tests.conftest import ACTOR, committed_build
from tests.factories import BuildFactory, CheckFactory

pytestmark = pytest.mark.django_db

REVIEWER = Actor(user_id="5d0b8a3e-28d1-4a3a-9a55-1c8a3e5b7f01", name="staff")
PASS = {"command": ["true"]}
FAIL = {"command": ["false"]}


def _hooks(repository, *hooks):
    repository_update(
        repository=repository,
        check_hooks=[{"name": name, "reviewable": False, **spec} for name, spec in hooks],
    )


def test_passing_checks_make_the_build_ready_and_publishable(repository, app, run_jobs, captured_events):
    _hooks(repository, ("lint", PASS), ("size", PASS))

    build = committed_build(repository, app, run_jobs)

    assert build.repo_state == RepoState.READY
    checks = {check.name: check for check in Check.objects.filter(build=build)}
    assert {name: check.status for name, check in checks.items()} == {"lint": 1, "size": 1}
    for check in checks.values():
        assert check.job.kind == JobKind.CHECK and check.job.status == JobStatus.ENDED
        assert "Check command exited successfully" in job_log_since(job_id=check.job_id)
    committed = captured_events.assert_published("builds.build.committed")
    assert (committed.data["state"], committed.data["checks"]) == ("validating", ["lint", "size"])
    with run_jobs():
        build_publish(build_id=build.id, actor=ACTOR)
    assert Build.objects.get(id=build.id).published_state == PublishedState.PUBLISHED


def test_a_failing_check_fails_the_build_and_gates_publishing(repository, app, run_jobs, captured_events):
    _hooks(repository, ("lint", PASS), ("size", FAIL))

    build = committed_build(repository, app, run_jobs)

    assert build.repo_state == RepoState.FAILED
    assert build.repo_state_reason == "1 out of 2 checks failed (size)"
    size = Check.objects.get(build=build, name="size")
    assert (size.status, size.status_reason) == (
        CheckStatus.FAILED,
        "Check command exited with status code 1",
    )
    event = captured_events.assert_published("builds.check.failed", check_name="size")
    assert event.data["creator"]["token_sub"] == "build"
    captured_events.assert_published("builds.build.failed", stage="check")
    with pytest.raises(WrongState) as error:
        build_publish(build_id=build.id, actor=ACTOR)
    assert error.value.details["current_state"] == "failed"
    assert not Job.objects.filter(kind=JobKind.PUBLISH).exists()


def test_a_reviewable_check_waits_for_a_reviewer(repository, app, run_jobs, captured_events):
    repository_update(
        repository=repository, check_hooks=[{"name": "review", "command": ["false"], "reviewable": True}]
    )

    build = committed_build(repository, app, run_jobs)

    check = Check.objects.get(build=build)
    assert check.status == CheckStatus.REVIEW_REQUIRED
    assert build.repo_state == RepoState.VALIDATING
    with pytest.raises(WrongState) as error:
        build_publish(build_id=build.id, actor=ACTOR)
    assert error.value.details == {
        "field": "repo_state",
        "current_state": "validating",
        "expected_state": "ready",
    }

    with run_jobs():
        check_review(
            build_id=build.id, name="review", status=CheckStatus.PASSED_WITH_WARNINGS, reviewer=REVIEWER
        )

    build.refresh_from_db()
    check.refresh_from_db()
    assert build.repo_state == RepoState.READY
    assert (check.status, check.reviewed_by) == (CheckStatus.PASSED_WITH_WARNINGS, f"user:{REVIEWER.user_id}")
    with run_jobs():
        build_publish(build_id=build.id, actor=ACTOR)
    assert Build.objects.get(id=build.id).published_state == PublishedState.PUBLISHED
    assert not captured_events.of_type("builds.check.failed")


def test_a_reviewer_failing_a_check_fails_the_build(repository, app, run_jobs, captured_events):
    repository_update(
        repository=repository, check_hooks=[{"name": "review", "command": ["false"], "reviewable": True}]
    )
    build = committed_build(repository, app, run_jobs)

    check_review(build_id=build.id, name="review", status=CheckStatus.FAILED, reviewer=REVIEWER)

    build.refresh_from_db()
    assert build.repo_state == RepoState.FAILED
    event = captured_events.assert_published("builds.check.failed", check_name="review")
    assert event.data["reviewed_by"] == f"user:{REVIEWER.user_id}"


def test_only_reviewable_checks_of_validating_builds_take_a_review():
    not_reviewable = CheckFactory(build=BuildFactory(repo_state=RepoState.VALIDATING), reviewable=False)
    ready = CheckFactory(
        build=BuildFactory(repo_state=RepoState.READY), reviewable=True, status=CheckStatus.PASSED
    )

    with pytest.raises(ApplicationError) as error:
        check_review(build_id=not_reviewable.build_id, name=not_reviewable.name, status=1, reviewer=REVIEWER)
    assert error.value.code == "check_not_reviewable"
    with pytest.raises(WrongState) as error:
        check_review(build_id=ready.build_id, name=ready.name, status=CheckStatus.FAILED, reviewer=REVIEWER)
    assert error.value.details["current_state"] == "ready"
    with pytest.raises(ApplicationError) as error:
        check_review(
            build_id=ready.build_id, name=ready.name, status=CheckStatus.REVIEW_REQUIRED, reviewer=REVIEWER
        )
    assert error.value.code == "validation_error"
    assert Check.objects.get(id=not_reviewable.id).status == CheckStatus.PENDING
    assert Check.objects.get(id=ready.id).status == CheckStatus.PASSED


def test_publish_is_gated_on_every_check_having_passed(captured_events):
    build = BuildFactory(repo_state=RepoState.READY)
    CheckFactory(build=build, status=CheckStatus.PASSED)
    CheckFactory(build=build, name="pending-one", status=CheckStatus.PENDING)

    with pytest.raises(ApplicationError) as error:
        build_publish(build_id=build.id, actor=ACTOR)

    assert (error.value.code, error.value.details) == ("checks_not_passed", {"checks": ["pending-one"]})
    assert Build.objects.get(id=build.id).published_state == PublishedState.UNPUBLISHED
    captured_events.assert_nothing_published()


def test_hooks_run_in_the_build_repository_with_the_build_and_job_in_their_environment(
    repository, app, run_jobs, tmp_path
):
    out = tmp_path / "env.txt"
    script = f"import os; open({str(out)!r}, 'w').write(' '.join([os.environ['BUILDS_BUILD_ID'], os.environ['BUILDS_JOB_ID'], os.environ['FLAT_MANAGER_BUILD_ID'], os.getcwd()]))"
    _hooks(repository, ("env", {"command": [sys.executable, "-c", script]}))

    build = committed_build(repository, app, run_jobs)

    check = Check.objects.get(build=build)
    build_id, job_id, flat_manager_id, cwd = out.read_text().split(" ")
    assert (int(build_id), int(job_id), int(flat_manager_id)) == (build.id, check.job_id, build.id)
    assert cwd.endswith(f"/builds/{build.id}")


def test_a_hook_that_cannot_run_breaks_its_job_and_fails_the_check(repository, app, run_jobs):
    _hooks(repository, ("ghost", {"command": ["/nonexistent/checker"]}))

    build = committed_build(repository, app, run_jobs)

    check = Check.objects.get(build=build)
    assert check.job.status == JobStatus.BROKEN
    assert (
        job_log_since(job_id=check.job_id).splitlines()[-1].startswith("Job failed: checker could not start")
    )
    assert check.status == CheckStatus.FAILED
    assert build.repo_state == RepoState.FAILED


def test_a_hook_that_outlives_its_timeout_is_stopped(repository, app, run_jobs, settings):
    settings.BUILDS = {**settings.BUILDS, "HOOK_TIMEOUT_SECONDS": 1}
    _hooks(repository, ("slow", {"command": ["sleep", "30"]}))

    build = committed_build(repository, app, run_jobs)

    check = Check.objects.get(build=build)
    assert "did not finish within 1 s" in job_log_since(job_id=check.job_id)
    assert check.status == CheckStatus.FAILED


def test_a_check_of_a_build_purged_meanwhile_does_not_run_or_notify(captured_events):
    from builds.jobs.runner import job_run

    build = BuildFactory(repo_state=RepoState.PURGED)
    check = CheckFactory(build=build, name="lint", job__status=JobStatus.NEW, job__contents={"name": "lint"})

    assert job_run(job_id=check.job_id) == JobStatus.BROKEN

    assert (
        job_log_since(job_id=check.job_id)
        == f"Job failed: Build {build.id} is purged; the lint check did not run\n"
    )
    check.refresh_from_db()
    assert check.status == CheckStatus.FAILED
    assert Build.objects.get(id=build.id).repo_state == RepoState.PURGED
    captured_events.assert_nothing_published()
