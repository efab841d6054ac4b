"""The console's pages: what a signed-in user sees, what is hidden from whom, the log follower."""

from datetime import timedelta

import pytest
from django.utils import timezone

from builds.builds.models import PublishedState, RepoState
from builds.jobs.models import JobStatus
from builds.jobs.services import job_log
from tests.factories import BuildFactory, BuildRefFactory, CheckFactory, JobFactory, RepositoryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def public_repo():
    return RepositoryFactory(name="apps", is_public=True)


@pytest.fixture
def private_repo():
    return RepositoryFactory(name="secret-apps", is_public=False)


def test_dashboard_shows_recent_builds_their_states_and_the_failure_rate(user_console, public_repo):
    now = timezone.now()
    ready = BuildFactory(repository=public_repo, repo_state=RepoState.READY)
    BuildFactory(repository=public_repo, repo_state=RepoState.FAILED, repo_state_reason="bad object")
    BuildFactory(repository=public_repo, repo_state=RepoState.READY, published_state=PublishedState.FAILED)
    BuildFactory(repository=public_repo, repo_state=RepoState.PURGED)
    BuildFactory(repository=public_repo, repo_state=RepoState.UPLOADING)  # not finished: not counted
    BuildFactory(repository=public_repo, repo_state=RepoState.FAILED, created_at=now - timedelta(days=30))
    response = user_console.get("/builds/")
    html = response.content.decode()
    assert response.status_code == 200
    dashboard = response.context["dashboard"]
    assert (dashboard.failed, dashboard.settled) == (2, 4)
    assert dashboard.by_state["ready"] == 2 and dashboard.by_state["uploading"] == 1
    assert '<div class="fs-3" data-testid="failure-rate">50%</div>' in html
    assert f'href="/builds/{ready.id}/"' in html
    assert len(dashboard.recent) == 6


def test_a_user_sees_public_repositories_and_their_own_builds_only(console_for, public_repo, private_repo):
    user = console_for()
    mine = BuildFactory(repository=private_repo, creator_user_id=user.user_id)
    hidden = BuildFactory(repository=private_repo, creator_user_id="someone-else")
    public = BuildFactory(repository=public_repo)
    html = user.get("/builds/repos/").content.decode()
    assert "/builds/repos/apps/" in html and "secret-apps" not in html
    assert user.get("/builds/repos/secret-apps/").status_code == 404
    assert user.get(f"/builds/{hidden.id}/").status_code == 404
    assert user.get(f"/builds/{mine.id}/").status_code == 200
    assert user.get(f"/builds/{public.id}/").status_code == 200
    recent = [build.id for build in user.get("/builds/").context["dashboard"].recent]
    assert sorted(recent) == sorted([mine.id, public.id])


def test_staff_see_every_repository(staff_console, public_repo, private_repo):
    hidden = BuildFactory(repository=private_repo, creator_user_id="someone-else")
    assert staff_console.get("/builds/repos/secret-apps/").status_code == 200
    assert staff_console.get(f"/builds/{hidden.id}/").status_code == 200


def test_repository_page_lists_its_builds(user_console, public_repo):
    builds = [BuildFactory(repository=public_repo) for _ in range(3)]
    other = BuildFactory(repository=RepositoryFactory(name="other"))
    response = user_console.get("/builds/repos/apps/")
    assert [build.id for build in response.context["builds"]] == [build.id for build in reversed(builds)]
    assert f'href="/builds/{other.id}/"' not in response.content.decode()


def test_build_page_shows_refs_checks_jobs_and_their_logs(user_console, public_repo):
    build = BuildFactory(repository=public_repo, repo_state=RepoState.VALIDATING)
    BuildRefFactory(build=build, commit="c" * 64)
    commit = JobFactory(build_id=build.id, status=JobStatus.ENDED)
    job_log(job_id=commit.id, text="Importing app/org.example.Hello/x86_64/stable\n<script>alert(1)</script>")
    CheckFactory(build=build, name="lint", reviewable=True)
    html = user_console.get(f"/builds/{build.id}/").content.decode()
    assert "app/org.example.Hello/x86_64/stable" in html and "cccccccccccc" in html
    assert "lint" in html and "review_required" not in html
    assert "Importing app/org.example.Hello/x86_64/stable\n&lt;script&gt;" in html
    assert (
        f'data-log-url="/builds/jobs/{commit.id}/log/" data-events-url="/builds/jobs/{commit.id}/events/" '
        'data-offset="72" data-finished="true"'
    ) in html


def test_non_staff_see_no_staff_buttons(user_console, staff_console, public_repo):
    build = BuildFactory(repository=public_repo, repo_state=RepoState.VALIDATING)
    CheckFactory(build=build, name="review", reviewable=True)
    user_html = user_console.get(f"/builds/{build.id}/").content.decode()
    staff_html = staff_console.get(f"/builds/{build.id}/").content.decode()
    assert 'data-testid="staff-actions"' not in user_html and "/review/" not in user_html
    assert 'data-testid="staff-actions"' in staff_html
    assert f'action="/builds/{build.id}/checks/review/review/"' in staff_html
    assert f'action="/builds/{build.id}/purge/"' in staff_html
    assert "/publish/" not in staff_html  # only a ready build can be published


def test_the_log_follower_gets_only_what_came_after_its_offset(user_console, public_repo):
    build = BuildFactory(repository=public_repo)
    job = JobFactory(build_id=build.id, status=JobStatus.STARTED)
    job_log(job_id=job.id, text="one")
    url = f"/builds/jobs/{job.id}/log/"
    first = user_console.get(url, {"offset": 0}, HTTP_ACCEPT="application/json").json()["data"]
    assert first == {"log": "one\n", "offset": 4, "status": "started", "finished": False}
    job_log(job_id=job.id, text="two\nthree")
    second = user_console.get(url, {"offset": 4}, HTTP_ACCEPT="application/json").json()["data"]
    assert second == {"log": "two\nthree\n", "offset": 14, "status": "started", "finished": False}
    job.status = JobStatus.ENDED
    job.save()
    last = user_console.get(url, {"offset": 14}, HTTP_ACCEPT="application/json").json()["data"]
    assert last == {"log": "", "offset": 14, "status": "ended", "finished": True}


@pytest.mark.parametrize("offset", ["-1", "x", "1e3", "9" * 20])
def test_the_log_follower_refuses_a_bad_offset(user_console, public_repo, offset):
    job = JobFactory(build_id=BuildFactory(repository=public_repo).id)
    response = user_console.get(
        f"/builds/jobs/{job.id}/log/", {"offset": offset}, HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"


def test_another_users_job_log_is_a_404(user_console, private_repo):
    job = JobFactory(build_id=BuildFactory(repository=private_repo, creator_user_id="someone-else").id)
    job_log(job_id=job.id, text="secret")
    response = user_console.get(f"/builds/jobs/{job.id}/log/", HTTP_ACCEPT="application/json")
    assert response.status_code == 404
    assert "secret" not in response.content.decode()


def test_missing_objects_are_a_404_page(user_console):
    response = user_console.get("/builds/999999/")
    assert response.status_code == 404
    assert b"Not found" in response.content


def test_console_assets_are_served_by_the_service(client):
    for path in ("/static/builds/bootstrap/css/bootstrap.min.css", "/static/builds/console/console.js"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert b"".join(response.streaming_content)


def test_build_page_tells_its_history_in_state_names(staff_console, repository):
    from tests.conftest import new_build

    build = new_build(repository)
    staff_console.post(f"/builds/{build.id}/purge/")
    html = staff_console.get(f"/builds/{build.id}/").content.decode()
    assert "repo_state: new → uploading" in html
    assert (
        f'repo_state: uploading → purging <span class="text-muted">user:{staff_console.user_id}</span>'
        in html
    )
    assert "repo_state: purging → purged" in html
