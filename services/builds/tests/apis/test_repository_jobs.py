"""/api/v1/builds/repos/<name>/republish/ (staff, or a build token with ``republish`` for the
repository and the app) and /prune/ (staff): 202 with the queued job; every refusal leaves no
job behind."""

from __future__ import annotations

import pytest

from builds.builds.services import build_publish
from builds.jobs.models import Job, JobKind, JobStatus
from builds.jobs.selectors import job_log_since
from builds.storage.layout import Storage
from tests.apis.conftest import error_of
from tests.conftest import ACTOR, committed_build
from tests.flatpak import sh

pytestmark = pytest.mark.django_db
URL = "/api/v1/builds/repos/apps/"


@pytest.fixture
def published(repository, app, run_jobs):
    build = committed_build(repository, app, run_jobs)
    with run_jobs():
        build_publish(build_id=build.id, actor=ACTOR)
    return app


def test_a_republish_token_republishes_its_app(token_client, published, run_jobs):
    main = Storage.configured().repository("apps")
    before = sh("ostree", "rev-parse", f"--repo={main}", published.ref)
    client = token_client(scope=["republish"], prefixes=["org.example"], repos=["apps"])

    with run_jobs():
        response = client.post(f"{URL}republish/", {"app_id": published.app_id}, format="json")

    assert response.status_code == 202, response.content
    data = response.json()["data"]
    assert data["kind"] == "republish"
    job = Job.objects.get(id=data["id"])
    assert job.contents == {"app": published.app_id, "endoflife": None, "endoflife_rebase": None}
    assert job.status == JobStatus.ENDED, job_log_since(job_id=job.id)
    after = sh("ostree", "rev-parse", f"--repo={main}", published.ref)
    assert after != before and job.results["refs"] == {published.ref: after}


def test_staff_queue_a_republish_with_end_of_life_marks(
    staff_client, repository, django_capture_on_commit_callbacks
):
    response = staff_client.post(
        f"{URL}republish/",
        {"app_id": "org.example.Hello", "endoflife": "Gone", "endoflife_rebase": "org.example.Hello2"},
        format="json",
    )

    assert response.status_code == 202, response.content
    job = Job.objects.get(id=response.json()["data"]["id"])
    assert (job.kind, job.repository_id) == (JobKind.REPUBLISH, repository.id)
    assert job.contents["endoflife_rebase"] == "org.example.Hello2"


@pytest.mark.parametrize(
    ("claims", "code"),
    [
        ({"scope": ["publish", "build"]}, "token_insufficient"),  # no republish scope
        ({"scope": ["republish"], "prefixes": ["org.other"]}, "token_insufficient"),  # another app
        (
            {"scope": ["republish"], "prefixes": ["org.example.Hel"]},
            "token_insufficient",
        ),  # not a dot boundary
        ({"scope": ["republish"], "repos": ["beta"]}, "token_insufficient"),  # another repository
        ({"scope": ["republish"], "sub": "build/7"}, "token_insufficient"),  # one build only
    ],
)
def test_a_token_not_covering_the_republish_is_refused(token_client, repository, claims, code):
    client = token_client(**claims)
    response = client.post(f"{URL}republish/", {"app_id": "org.example.Hello"}, format="json")
    assert response.status_code in (403, 404)
    assert response.json()["error"]["code"] in (code, "not_found")
    assert not Job.objects.filter(kind=JobKind.REPUBLISH).exists()


def test_a_signed_in_user_who_is_not_staff_may_not_republish_or_prune(auth_client, repository):
    error_of(
        auth_client.post(f"{URL}republish/", {"app_id": "org.example.Hello"}, format="json"),
        403,
        "permission_denied",
    )
    error_of(auth_client.post(f"{URL}prune/"), 403, "permission_denied")
    assert not Job.objects.exists()


def test_republish_input_is_validated(staff_client, repository):
    error = error_of(
        staff_client.post(f"{URL}republish/", {"app_id": "../x"}, format="json"), 400, "validation_error"
    )
    assert "app" in error["details"]
    error = error_of(staff_client.post(f"{URL}republish/", {}, format="json"), 400, "validation_error")
    assert "app_id" in error["details"]
    assert not Job.objects.exists()


def test_an_unknown_repository_is_404(staff_client, db):
    error_of(
        staff_client.post(
            "/api/v1/builds/repos/nope/republish/", {"app_id": "org.example.Hello"}, format="json"
        ),
        404,
        "not_found",
    )
    error_of(staff_client.post("/api/v1/builds/repos/nope/prune/"), 404, "not_found")


def test_staff_prune_a_repository_and_a_waiting_prune_is_shared(
    staff_client, repository, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        first = staff_client.post(f"{URL}prune/")
        second = staff_client.post(f"{URL}prune/")

    assert (first.status_code, second.status_code) == (202, 200)
    assert first.json()["data"]["id"] == second.json()["data"]["id"]
    assert first.json()["data"]["kind"] == "prune"


def test_a_build_token_may_not_prune_through_the_rest_api(token_client, repository):
    client = token_client(scope=["tokenmanagement"], sub="")
    response = client.post(f"{URL}prune/")
    assert response.status_code == 403
    assert not Job.objects.exists()


def test_an_api_key_without_builds_write_is_refused(api_key_client_for, repository):
    client = api_key_client_for(roles=["staff"], scopes=["builds:read"])
    error_of(client.post(f"{URL}prune/"), 403, "insufficient_scope")
    error_of(
        client.post(f"{URL}republish/", {"app_id": "org.example.Hello"}, format="json"),
        403,
        "insufficient_scope",
    )
    assert not Job.objects.exists()
