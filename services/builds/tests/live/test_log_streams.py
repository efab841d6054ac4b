"""Following a job's log as Server-Sent Events under ASGI: followers get each new line as it is
appended, hold no worker and no database connection of their own, and the API keeps
answering promptly while they wait."""

from __future__ import annotations

import json
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from django.db import connection

from builds.jobs.models import Job, JobStatus
from builds.jobs.services import job_log
from servicekit.testing.polling import wait_until
from tests.factories import BuildFactory, JobFactory

FOLLOWERS = 20


class Follower:
    """One SSE connection read on its own thread; ``events`` fills as they arrive."""

    def __init__(self, url: str, headers: dict[str, str]) -> None:
        self.response = requests.get(
            url, headers={"Accept": "text/event-stream", **headers}, stream=True, timeout=60
        )
        self.events: list[dict] = []
        self.comments = 0
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        event: dict = {}
        try:
            for raw in self.response.iter_lines(chunk_size=1, decode_unicode=True):
                if raw == "":
                    if "event" in event:
                        self.events.append(event)
                    event = {}
                elif raw.startswith(":"):
                    self.comments += 1
                else:
                    field, _, value = raw.partition(": ")
                    event[field] = json.loads(value) if field == "data" else value
        except requests.RequestException:
            pass

    def log(self) -> str:
        return "".join(event["data"]["log"] for event in self.events if event["event"] == "log")

    def close(self) -> None:
        self.response.close()


@pytest.fixture
def staff_headers(token_factory) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_factory.access_token(str(uuid.uuid4()), roles=['staff'])}"}


@pytest.fixture
def running_job(live, repository):
    build = BuildFactory(repository=repository)
    job = JobFactory(build_id=build.id, status=JobStatus.STARTED, repository=repository)
    job_log(job_id=job.id, text="starting")
    return job


def _connections_to_the_test_database() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")
        return cursor.fetchone()[0]


def test_followers_see_new_lines_live_and_the_api_stays_prompt(live, running_job, staff_headers):
    url = f"{live.url}/api/v1/builds/jobs/{running_job.id}/log/"
    followers = [Follower(url, staff_headers) for _ in range(FOLLOWERS)]
    try:
        for follower in followers:
            assert follower.response.status_code == 200
            assert follower.response.headers["Content-Type"] == "text/event-stream"
            assert follower.response.headers["X-Accel-Buffering"] == "no"
        wait_until(lambda: all(f.log() == "starting\n" for f in followers), timeout=20)
        connections_while_following = _connections_to_the_test_database()

        def timed_api_call(_):
            started = time.monotonic()
            response = requests.get(f"{live.url}/api/v1/builds/repos/", headers=staff_headers, timeout=10)
            assert response.status_code == 200
            return time.monotonic() - started

        with ThreadPoolExecutor(4) as pool:
            latencies = sorted(pool.map(timed_api_call, range(20)))
        # Generous for a loaded 2-core machine; a follower holding a worker would block these.
        assert latencies[-1] < 2.0, latencies

        job_log(job_id=running_job.id, text="compiling\nlinking")
        wait_until(lambda: all(f.log() == "starting\ncompiling\nlinking\n" for f in followers), timeout=10)

        Job.objects.filter(id=running_job.id).update(status=JobStatus.ENDED)
        job_log(job_id=running_job.id, text="done")
        wait_until(lambda: all(f.events and f.events[-1]["event"] == "end" for f in followers), timeout=10)
        for follower in followers:
            assert follower.log() == "starting\ncompiling\nlinking\ndone\n"
            assert follower.events[-1]["data"] == {"status": "ended", "offset": len(follower.log())}
            follower.thread.join(timeout=5)
            assert not follower.thread.is_alive()  # the server closed the stream
        # 20 followers share the process's listener and read pool: a few connections, not 20.
        assert connections_while_following < FOLLOWERS // 2
    finally:
        for follower in followers:
            follower.close()


def test_a_follower_resumes_after_its_last_event(live, running_job, staff_headers):
    job_log(job_id=running_job.id, text="second")
    Job.objects.filter(id=running_job.id).update(status=JobStatus.ENDED)
    url = f"{live.url}/api/v1/builds/jobs/{running_job.id}/log/"

    follower = Follower(url, {**staff_headers, "Last-Event-ID": str(len("starting\n"))})
    follower.thread.join(timeout=10)

    assert follower.log() == "second\n"
    assert follower.events[0]["id"] == str(len("starting\nsecond\n"))
    assert follower.events[-1]["event"] == "end"


def test_a_stream_refused_is_a_json_envelope(live, running_job, token_factory):
    url = f"{live.url}/api/v1/builds/jobs/{running_job.id}/log/"
    anonymous = requests.get(url, headers={"Accept": "text/event-stream"}, timeout=10)
    someone = {"Authorization": f"Bearer {token_factory.access_token(str(uuid.uuid4()), roles=['customer'])}"}
    BuildFactory._meta.model.objects.filter(id=running_job.build_id).update(creator_user_id="another-user")
    running_job.repository.__class__.objects.filter(id=running_job.repository_id).update(is_public=False)
    hidden = requests.get(url, headers={"Accept": "text/event-stream", **someone}, timeout=10)

    assert anonymous.status_code == 401 and anonymous.json()["error"]["code"] == "not_authenticated"
    assert hidden.status_code == 404 and hidden.json()["error"]["code"] == "not_found"
