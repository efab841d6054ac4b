"""/api/v1/builds/repos/: staff write; signed-in callers read the public repositories."""

from __future__ import annotations

import pytest

from builds.repos.models import Repository
from builds.storage.layout import Storage
from tests.apis.conftest import error_of
from tests.factories import RepositoryFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/builds/repos/"


def test_staff_creates_a_repository_with_its_main_repository_on_disk(staff_client):
    response = staff_client.post(
        URL,
        {
            "name": "apps",
            "title": "Apps",
            "collection_id": "org.example.Apps",
            "is_public": False,
            "retention_count": 2,
            "check_hooks": [{"name": "lint", "command": ["true"], "reviewable": True}],
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    data = response.json()["data"]
    assert data["name"] == "apps" and data["title"] == "Apps" and data["is_public"] is False
    assert data["collection_id"] == "org.example.Apps" and data["retention_count"] == 2
    assert data["check_hooks"] == [{"name": "lint", "command": ["true"], "reviewable": True}]
    assert data["url"].endswith("/repo/apps/")
    assert (Storage.configured().repository("apps") / "config").is_file()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "../etc"}, "name"),
        ({"name": "ok", "retention_count": 0}, "retention_count"),
        ({"name": "ok", "check_hooks": [{"name": "x", "command": "rm -rf /"}]}, "check_hooks"),
        ({"name": "ok", "default_branch": "a b"}, "default_branch"),
        ({"name": "ok", "owner": "me"}, "owner"),
    ],
)
def test_invalid_repositories_are_400_naming_the_field(staff_client, body, field):
    error = error_of(staff_client.post(URL, body, format="json"), 400, "validation_error")
    assert field in error["details"]
    assert not Repository.objects.exists()


def test_a_taken_name_is_a_409(staff_client):
    RepositoryFactory(name="apps")
    error = error_of(staff_client.post(URL, {"name": "apps"}, format="json"), 409, "repository_exists")
    assert error["details"] == {"name": ["apps"]}


def test_only_staff_write(auth_client, token_client):
    error_of(auth_client.post(URL, {"name": "apps"}, format="json"), 403, "permission_denied")
    error_of(token_client().post(URL, {"name": "apps"}, format="json"), 403, "permission_denied")
    repository = RepositoryFactory(name="apps", title="Before")
    error_of(auth_client.patch(f"{URL}apps/", {"title": "x"}, format="json"), 403, "permission_denied")
    repository.refresh_from_db()
    assert repository.title == "Before"
    assert Repository.objects.count() == 1


def test_anonymous_is_401(api_client):
    error_of(api_client.get(URL), 401, "not_authenticated")


def test_signed_in_users_see_public_repositories_staff_see_all(auth_client, staff_client):
    RepositoryFactory(name="public")
    RepositoryFactory(name="private", is_public=False)

    mine = auth_client.get(URL).json()
    everything = staff_client.get(URL).json()

    assert [r["name"] for r in mine["data"]] == ["public"]
    assert mine["meta"]["pagination"]["count"] == 1
    assert [r["name"] for r in everything["data"]] == ["private", "public"]
    error_of(auth_client.get(f"{URL}private/"), 404, "not_found")
    assert staff_client.get(f"{URL}private/").status_code == 200


def test_a_build_token_sees_the_private_repositories_it_names(token_client):
    RepositoryFactory(name="public")
    RepositoryFactory(name="private", is_public=False)
    RepositoryFactory(name="other", is_public=False)

    client = token_client(repos=["private"])

    assert [r["name"] for r in client.get(URL).json()["data"]] == ["private", "public"]
    error_of(client.get(f"{URL}other/"), 404, "not_found")


def test_staff_update_a_repository(staff_client):
    RepositoryFactory(name="apps", title="Before", retention_count=3)

    response = staff_client.patch(f"{URL}apps/", {"title": "After", "retention_count": 5}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["data"]["title"] == "After"
    repository = Repository.objects.get(name="apps")
    assert (repository.title, repository.retention_count) == ("After", 5)


@pytest.mark.parametrize("value", [0.0, 1, "false", "yes"])
def test_is_public_is_a_json_boolean_and_nothing_that_looks_like_one(staff_client, value):
    RepositoryFactory(name="apps", is_public=True)
    error = error_of(
        staff_client.patch(f"{URL}apps/", {"is_public": value}, format="json"), 400, "validation_error"
    )
    assert error["details"] == {"is_public": ["Must be true or false."]}
    assert Repository.objects.get(name="apps").is_public is True


def test_the_name_cannot_be_changed(staff_client):
    RepositoryFactory(name="apps")
    error = error_of(staff_client.patch(f"{URL}apps/", {"name": "x"}, format="json"), 400, "validation_error")
    assert "name" in error["details"]
    assert Repository.objects.filter(name="apps").exists()


def test_a_missing_repository_is_404(staff_client):
    error_of(staff_client.get(f"{URL}nope/"), 404, "not_found")
    error_of(staff_client.patch(f"{URL}nope/", {"title": "x"}, format="json"), 404, "not_found")
