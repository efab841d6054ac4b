"""/api/v1/builds/jobs/: a job and its log from an offset, for those who may read it."""

from __future__ import annotations

import pytest

from builds.jobs.models import JobStatus
from builds.jobs.services import job_log
from tests.apis.conftest import error_of
from tests.factories import BuildFactory, JobFactory, RepositoryFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/builds/jobs/"


@pytest.fixture
def job(repository):
    build = BuildFactory(repository=repository)
    job = JobFactory(build_id=build.id, status=JobStatus.STARTED, repository=repository)
    job_log(job_id=job.id, text="first line\nsecond line")
    return job


def test_a_job_reads_with_its_status_and_contents(staff_client, job):
    data = staff_client.get(f"{URL}{job.id}/").json()["data"]
    assert data["kind"] == "commit" and data["status"] == "started"
    assert data["contents"] == {"build": job.build_id} and data["results"] is None
    assert data["log_length"] == len("first line\nsecond line\n")


def test_the_log_from_an_offset_returns_only_new_text(staff_client, job):
    first = staff_client.get(f"{URL}{job.id}/log/").json()["data"]
    assert first == {"log": "first line\nsecond line\n", "offset": 23, "status": "started", "finished": False}

    job_log(job_id=job.id, text="third line")
    second = staff_client.get(f"{URL}{job.id}/log/", {"offset": first["offset"]}).json()["data"]
    middle = staff_client.get(f"{URL}{job.id}/log/", {"offset": 6}).json()["data"]

    assert second["log"] == "third line\n" and second["offset"] == 34
    assert middle["log"] == "line\nsecond line\nthird line\n"
    error = error_of(staff_client.get(f"{URL}{job.id}/log/", {"offset": -1}), 400, "validation_error")
    assert "offset" in error["details"]


def test_a_build_token_needs_the_jobs_scope(token_client, job):
    assert token_client(scope=["jobs"]).get(f"{URL}{job.id}/log/").status_code == 200
    error_of(token_client(scope=["build", "upload"]).get(f"{URL}{job.id}/"), 403, "token_insufficient")


def test_users_read_the_jobs_of_builds_they_may_read(client_for, auth_client):
    private = RepositoryFactory(name="private", is_public=False)
    owner = client_for()
    build = BuildFactory(repository=private, creator_user_id=owner.user_id)
    job = JobFactory(build_id=build.id)
    update = JobFactory(kind=2, repository=private)

    assert owner.get(f"{URL}{job.id}/").status_code == 200
    error_of(auth_client.get(f"{URL}{job.id}/"), 404, "not_found")
    error_of(auth_client.get(f"{URL}{job.id}/log/"), 404, "not_found")
    error_of(owner.get(f"{URL}{update.id}/"), 404, "not_found")  # no build: staff and tokens only


def test_a_missing_job_is_404(staff_client):
    error_of(staff_client.get(f"{URL}999999/"), 404, "not_found")
