"""The console's live log under ASGI: the build page's EventSource follows a job through the
console's own event stream, signed in with the console's cookies."""

from __future__ import annotations

import pytest
import requests

from builds.builds.models import RepoState
from builds.console.session import CONSOLE
from builds.jobs.models import Job, JobStatus
from builds.jobs.services import job_log
from servicekit.testing.polling import wait_until
from tests.factories import BuildFactory, JobFactory, RepositoryFactory
from tests.live.test_log_streams import Follower

ACCESS_COOKIE = CONSOLE.access_cookie


@pytest.fixture
def signed_in(token_factory) -> dict[str, str]:
    return {"Cookie": f"{ACCESS_COOKIE}={token_factory.access_token(roles=('customer',))}"}


def test_the_console_streams_a_jobs_new_lines_until_it_ends(live, signed_in):
    build = BuildFactory(repository=RepositoryFactory(is_public=True), repo_state=RepoState.COMMITTING)
    job = JobFactory(build_id=build.id, status=JobStatus.STARTED)
    job_log(job_id=job.id, text="first")
    follower = Follower(f"{live.url}/builds/jobs/{job.id}/events/?offset=0", signed_in)
    try:
        assert follower.response.status_code == 200
        assert follower.response.headers["Content-Type"].startswith("text/event-stream")
        wait_until(lambda: follower.log() == "first\n", timeout=10)
        job_log(job_id=job.id, text="second")
        wait_until(lambda: follower.log() == "first\nsecond\n", timeout=10)
        Job.objects.filter(id=job.id).update(status=JobStatus.ENDED)
        job_log(job_id=job.id, text="done")
        wait_until(lambda: follower.events and follower.events[-1]["event"] == "end", timeout=10)
        assert follower.log() == "first\nsecond\ndone\n"
        assert follower.events[-1]["data"] == {"status": "ended", "offset": 18}
    finally:
        follower.close()


def test_a_reconnecting_page_gets_only_what_it_has_not_seen(live, signed_in):
    build = BuildFactory(repository=RepositoryFactory(is_public=True))
    job = JobFactory(build_id=build.id, status=JobStatus.ENDED)
    job_log(job_id=job.id, text="one\ntwo")
    follower = Follower(
        f"{live.url}/builds/jobs/{job.id}/events/?offset=0", {**signed_in, "Last-Event-ID": "4"}
    )
    try:
        wait_until(lambda: follower.events and follower.events[-1]["event"] == "end", timeout=10)
        assert follower.log() == "two\n"
    finally:
        follower.close()


def test_another_users_job_is_not_streamed(live, signed_in):
    build = BuildFactory(repository=RepositoryFactory(is_public=False), creator_user_id="someone-else")
    job = JobFactory(build_id=build.id, status=JobStatus.STARTED)
    job_log(job_id=job.id, text="secret")
    response = requests.get(
        f"{live.url}/builds/jobs/{job.id}/events/",
        headers={**signed_in, "Accept": "text/event-stream"},
        timeout=10,
        allow_redirects=False,
    )
    assert response.status_code == 404
    assert "secret" not in response.text


def test_a_signed_out_page_is_sent_to_sign_in(live):
    response = requests.get(
        f"{live.url}/builds/jobs/1/events/",
        headers={"Accept": "text/event-stream"},
        timeout=10,
        allow_redirects=False,
    )
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/builds/login/")
