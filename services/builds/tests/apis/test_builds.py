"""/api/v1/builds/builds/: lists and details by who may read them; create, commit, publish,
purge and reviews by staff or build tokens; wrong states are 409s naming the state."""

from __future__ import annotations

import pytest

from builds.builds.models import Build, BuildStateChange, CheckStatus, PublishedState, RepoState
from builds.jobs.models import Job, JobKind
from tests.apis.conftest import error_of
from tests.conftest import upload_app
from tests.factories import BuildFactory, BuildRefFactory, CheckFactory, RepositoryFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/builds/builds/"


def test_staff_create_a_build(staff_client, repository):
    response = staff_client.post(URL, {"repository": "apps", "app_id": "org.example.Hello"}, format="json")

    assert response.status_code == 201, response.content
    data = response.json()["data"]
    assert data["repo_state"] == "uploading" and data["published_state"] == "unpublished"
    assert data["creator"] == {"user_id": staff_client.user_id, "token_sub": None, "name": ""}
    assert data["download_url"].endswith(f"/build-repo/{data['id']}/")
    assert Build.objects.get(id=data["id"]).app_id == "org.example.Hello"


def test_a_build_token_creates_within_its_prefixes_only(token_client, repository):
    client = token_client(prefixes=["org.example"])

    ok = client.post(URL, {"repository": "apps", "app_id": "org.example.Hello"}, format="json")
    refused = client.post(URL, {"repository": "apps", "app_id": "org.examplefoo.App"}, format="json")

    assert ok.status_code == 201, ok.content
    assert ok.json()["data"]["creator"]["token_sub"] == "build"
    error_of(refused, 403, "token_insufficient")
    assert Build.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"repository": "apps", "app_id": "not an id"}, 400, "validation_error"),
        ({"repository": "nope"}, 404, "not_found"),
        ({}, 400, "validation_error"),
        ({"repository": "apps", "public_download": "maybe"}, 400, "validation_error"),
    ],
)
def test_invalid_creates_are_refused(staff_client, repository, body, status, code):
    error_of(staff_client.post(URL, body, format="json"), status, code)
    assert not Build.objects.exists()


def test_users_who_are_not_staff_cannot_create(auth_client, repository):
    error_of(auth_client.post(URL, {"repository": "apps"}, format="json"), 403, "permission_denied")
    assert not Build.objects.exists()


def test_lists_show_what_the_caller_may_read(client_for, staff_client, token_client):
    public, private = RepositoryFactory(name="public"), RepositoryFactory(name="private", is_public=False)
    owner = client_for()
    in_public = BuildFactory(repository=public)
    mine = BuildFactory(repository=private, creator_user_id=owner.user_id)
    theirs = BuildFactory(repository=private, creator_user_id="someone-else")

    def ids(client, **params):
        return [b["id"] for b in client.get(URL, params).json()["data"]]

    assert ids(owner) == [mine.id, in_public.id]
    assert ids(client_for()) == [in_public.id]
    assert ids(staff_client) == [theirs.id, mine.id, in_public.id]
    assert ids(token_client(repos=["private"])) == [theirs.id, mine.id]
    assert ids(token_client(sub=f"build/{mine.id}")) == [mine.id]
    assert ids(token_client(prefixes=["org.other"])) == []
    assert ids(staff_client, repository="public") == [in_public.id]


def test_lists_filter_by_state(staff_client, repository):
    uploading = BuildFactory(repository=repository)
    ready = BuildFactory(repository=repository, repo_state=RepoState.READY)
    purged = BuildFactory(repository=repository, repo_state=RepoState.PURGED)

    def ids(**params):
        return [b["id"] for b in staff_client.get(URL, params).json()["data"]]

    assert ids() == [ready.id, uploading.id]
    assert ids(repo_state="ready") == [ready.id]
    assert ids(repo_state="purged") == [purged.id]
    assert ids(include_purged="true") == [purged.id, ready.id, uploading.id]
    error = error_of(staff_client.get(URL, {"repo_state": "done"}), 400, "validation_error")
    assert "repo_state" in error["details"]


def test_a_build_reads_with_its_refs_checks_and_jobs(staff_client, repository):
    build = BuildFactory(repository=repository, repo_state=RepoState.VALIDATING)
    BuildRefFactory(build=build)
    check = CheckFactory(build=build, name="lint", status=CheckStatus.REVIEW_REQUIRED, reviewable=True)

    data = staff_client.get(f"{URL}{build.id}/").json()["data"]

    assert data["repo_state"] == "validating"
    assert [r["ref_name"] for r in data["refs"]] == ["app/org.example.Hello/x86_64/stable"]
    assert data["checks"][0]["name"] == "lint" and data["checks"][0]["status"] == "review_required"
    assert [j["id"] for j in data["jobs"]] == [check.job_id]
    assert data["jobs"][0]["kind"] == "check"


def test_another_users_build_in_a_private_repository_is_404(client_for, auth_client):
    private = RepositoryFactory(name="private", is_public=False)
    owner = client_for()
    build = BuildFactory(repository=private, creator_user_id=owner.user_id)

    assert owner.get(f"{URL}{build.id}/").status_code == 200
    error_of(auth_client.get(f"{URL}{build.id}/"), 404, "not_found")
    error_of(auth_client.post(f"{URL}{build.id}/purge/"), 404, "not_found")
    assert Build.objects.get(id=build.id).repo_state == RepoState.UPLOADING


def test_users_who_are_not_staff_cannot_change_builds_they_see(client_for, repository):
    owner = client_for()
    build = BuildFactory(repository=repository, creator_user_id=owner.user_id)
    error_of(owner.post(f"{URL}{build.id}/purge/"), 403, "permission_denied")
    error_of(owner.post(f"{URL}{build.id}/commit/", {}, format="json"), 403, "permission_denied")
    assert Build.objects.get(id=build.id).repo_state == RepoState.UPLOADING


def test_commit_then_publish_then_purge(staff_client, repository, app, run_jobs):
    build_id = staff_client.post(URL, {"repository": "apps", "app_id": app.app_id}, format="json").json()[
        "data"
    ]["id"]
    upload_app(Build.objects.get(id=build_id), app)

    with run_jobs():
        committed = staff_client.post(f"{URL}{build_id}/commit/", {"endoflife": None}, format="json")
    assert committed.status_code == 202, committed.content
    assert committed.json()["data"]["kind"] == "commit"
    assert Build.objects.get(id=build_id).repo_state == RepoState.READY
    again = staff_client.post(f"{URL}{build_id}/commit/", {"endoflife": None}, format="json")
    assert again.status_code == 200 and again.json()["data"]["id"] == committed.json()["data"]["id"]

    with run_jobs():
        published = staff_client.post(f"{URL}{build_id}/publish/")
    assert published.status_code == 202, published.content
    build = Build.objects.get(id=build_id)
    assert build.published_state == PublishedState.PUBLISHED
    retried = staff_client.post(f"{URL}{build_id}/publish/")
    assert retried.status_code == 200
    assert set(retried.json()["data"]["results"]) == {"refs", "update-repo-job"}
    assert Job.objects.filter(build_id=build_id, kind=JobKind.PUBLISH).count() == 1

    purged = staff_client.post(f"{URL}{build_id}/purge/")
    assert purged.status_code == 200 and purged.json()["data"]["repo_state"] == "purged"


def test_actions_in_the_wrong_state_are_409s_naming_it(staff_client, repository):
    build = BuildFactory(repository=repository)
    changes = BuildStateChange.objects.count()

    error = error_of(staff_client.post(f"{URL}{build.id}/publish/"), 409, "conflict")

    assert error["details"] == {
        "field": "repo_state",
        "current_state": "uploading",
        "expected_state": "ready",
    }
    assert "uploading" in error["message"]
    error_of(staff_client.post(f"{URL}{build.id}/commit/", {}, format="json"), 400, "no_refs")
    assert BuildStateChange.objects.count() == changes
    assert Build.objects.get(id=build.id).repo_state == RepoState.UPLOADING


def test_a_token_needs_the_publish_scope_to_publish(token_client, repository):
    build = BuildFactory(repository=repository, repo_state=RepoState.READY)
    error_of(
        token_client(scope=["build", "upload"]).post(f"{URL}{build.id}/publish/"), 403, "token_insufficient"
    )
    assert Build.objects.get(id=build.id).published_state == PublishedState.UNPUBLISHED


def test_staff_review_a_check(staff_client, repository):
    build = BuildFactory(repository=repository, repo_state=RepoState.VALIDATING)
    CheckFactory(build=build, name="lint", status=CheckStatus.REVIEW_REQUIRED, reviewable=True)

    response = staff_client.post(
        f"{URL}{build.id}/checks/lint/review/", {"status": "passed_with_warnings"}, format="json"
    )

    assert response.status_code == 200, response.content
    assert response.json()["data"]["status"] == "passed_with_warnings"
    assert response.json()["data"]["reviewed_by"] == f"user:{staff_client.user_id}"
    assert Build.objects.get(id=build.id).repo_state == RepoState.READY


def test_reviews_are_refused_to_others_and_validated(client_for, token_client, staff_client, repository):
    owner = client_for()
    build = BuildFactory(
        repository=repository, repo_state=RepoState.VALIDATING, creator_user_id=owner.user_id
    )
    check = CheckFactory(build=build, name="lint", status=CheckStatus.REVIEW_REQUIRED, reviewable=True)
    url = f"{URL}{build.id}/checks/lint/review/"

    error_of(owner.post(url, {"status": "passed"}, format="json"), 403, "permission_denied")
    error_of(
        token_client(scope=["build"]).post(url, {"status": "passed"}, format="json"),
        403,
        "token_insufficient",
    )
    error_of(staff_client.post(url, {"status": "great"}, format="json"), 400, "validation_error")
    error_of(
        staff_client.post(f"{URL}{build.id}/checks/nope/review/", {"status": "passed"}, format="json"),
        404,
        "not_found",
    )
    check.refresh_from_db()
    assert check.status == CheckStatus.REVIEW_REQUIRED
    reviewer = token_client(scope=["reviewcheck"])
    assert reviewer.post(url, {"status": "failed"}, format="json").status_code == 200
    assert Build.objects.get(id=build.id).repo_state == RepoState.FAILED
