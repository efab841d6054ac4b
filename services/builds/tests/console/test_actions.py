"""The staff buttons: review, publish and purge through the domain services, CSRF-protected;
anyone else gets a 403 and nothing changes."""

import pytest

from builds.builds.models import Build, CheckStatus, PublishedState, RepoState
from builds.jobs.models import Job, JobKind
from tests.conftest import committed_build
from tests.factories import BuildFactory, CheckFactory, RepositoryFactory

pytestmark = pytest.mark.django_db(transaction=False)


def _messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_staff_publish_a_ready_build(staff_console, repository, app, run_jobs):
    build = committed_build(repository, app, run_jobs)
    assert build.repo_state == RepoState.READY
    with run_jobs():
        response = staff_console.post(f"/builds/{build.id}/publish/", follow=True)
    build.refresh_from_db()
    assert build.published_state == PublishedState.PUBLISHED
    assert _messages(response) == [f"Publishing: job {build.publish_job_id}."]
    assert build.state_changes.filter(field="published_state", actor=f"user:{staff_console.user_id}").exists()


def test_publishing_again_answers_the_publish_job(staff_console):
    build = BuildFactory(repository=RepositoryFactory(), repo_state=RepoState.READY)
    job = Job.objects.create(kind=JobKind.PUBLISH, build_id=build.id)
    Build.objects.filter(id=build.id).update(published_state=PublishedState.PUBLISHED, publish_job=job)
    response = staff_console.post(f"/builds/{build.id}/publish/", follow=True)
    assert _messages(response) == [f"Already publishing or published (job {job.id})."]
    assert Job.objects.filter(kind=JobKind.PUBLISH).count() == 1


def test_an_action_in_the_wrong_state_says_why_and_changes_nothing(staff_console):
    build = BuildFactory(repository=RepositoryFactory(), repo_state=RepoState.UPLOADING)
    response = staff_console.post(f"/builds/{build.id}/publish/", follow=True)
    assert response.status_code == 200
    assert _messages(response) == [f"Build {build.id} is uploading; cannot publish."]
    build.refresh_from_db()
    assert build.published_state == PublishedState.UNPUBLISHED
    assert not Job.objects.filter(kind=JobKind.PUBLISH).exists()


def test_staff_purge_a_build(staff_console, repository, builds_storage):
    from tests.conftest import new_build

    build = new_build(repository)
    assert (builds_storage / "builds" / str(build.id)).exists()
    response = staff_console.post(f"/builds/{build.id}/purge/", follow=True)
    build.refresh_from_db()
    assert build.repo_state == RepoState.PURGED
    assert _messages(response) == [f"Build {build.id} is purged."]
    assert not (builds_storage / "builds" / str(build.id)).exists()


@pytest.fixture
def awaiting_review():
    build = BuildFactory(repository=RepositoryFactory(), repo_state=RepoState.VALIDATING)
    return CheckFactory(build=build, name="size", reviewable=True, status=CheckStatus.REVIEW_REQUIRED)


@pytest.mark.parametrize(
    ("verdict", "check_status", "repo_state", "message"),
    [
        ("passed", CheckStatus.PASSED, RepoState.READY, "Check size: passed."),
        ("failed", CheckStatus.FAILED, RepoState.FAILED, "Check size: failed."),
        (
            "pending",
            CheckStatus.REVIEW_REQUIRED,
            RepoState.VALIDATING,
            "Choose one of: passed, passed_with_warnings, failed.",
        ),
    ],
)
def test_staff_review_a_check(staff_console, awaiting_review, verdict, check_status, repo_state, message):
    build = awaiting_review.build
    response = staff_console.post(f"/builds/{build.id}/checks/size/review/", {"status": verdict}, follow=True)
    awaiting_review.refresh_from_db()
    build.refresh_from_db()
    assert (awaiting_review.status, build.repo_state) == (check_status, repo_state)
    assert _messages(response) == [message]


@pytest.mark.parametrize("action", ["publish/", "purge/", "checks/size/review/"])
def test_non_staff_get_a_403_and_nothing_changes(user_console, action):
    build = BuildFactory(repository=RepositoryFactory(is_public=True), repo_state=RepoState.VALIDATING)
    check = CheckFactory(build=build, name="size", reviewable=True, status=CheckStatus.REVIEW_REQUIRED)
    response = user_console.post(f"/builds/{build.id}/{action}", {"status": "passed"})
    assert response.status_code == 403
    build.refresh_from_db()
    check.refresh_from_db()
    assert (build.repo_state, build.published_state) == (RepoState.VALIDATING, PublishedState.UNPUBLISHED)
    assert check.status == CheckStatus.REVIEW_REQUIRED
    assert build.state_changes.count() == 0


def test_a_staff_action_without_the_csrf_token_is_refused(console_for):
    staff = console_for(roles=("staff",), enforce_csrf=True)
    build = BuildFactory(repository=RepositoryFactory())
    response = staff.post(f"/builds/{build.id}/purge/")
    assert response.status_code == 403
    build.refresh_from_db()
    assert build.repo_state == RepoState.UPLOADING


def test_actions_are_posts_only(staff_console):
    build = BuildFactory(repository=RepositoryFactory())
    assert staff_console.get(f"/builds/{build.id}/purge/").status_code == 405
    build.refresh_from_db()
    assert build.repo_state == RepoState.UPLOADING


def test_an_action_on_a_missing_build_is_a_404(staff_console):
    assert staff_console.post("/builds/999999/purge/").status_code == 404
