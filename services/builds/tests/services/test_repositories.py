"""Repositories: created with an empty, pullable main repository; validated; updated."""

from __future__ import annotations

import pytest

from builds.jobs.models import Job, JobKind, JobStatus
from builds.repos.models import Repository
from builds.repos.services import repository_create, repository_update
from builds.storage.layout import Storage
from servicekit.envelope.errors import ApplicationError, Conflict
from tests.flatpak import sh

pytestmark = pytest.mark.django_db


def test_create_makes_an_archive_repository_with_a_summary():
    repository = repository_create(
        name="stable",
        title="Stable apps",
        collection_id="org.example.Stable",
        retention_count=5,
        is_public=False,
    )

    path = Storage.configured().repository("stable")
    config = (path / "config").read_text()
    assert "mode=archive-z2" in config and "collection-id=org.example.Stable" in config
    assert (path / "summary").exists()
    assert "Stable apps" in sh("ostree", "summary", f"--repo={path}", "--view")
    assert (repository.retention_count, repository.is_public) == (5, False)


def test_a_taken_name_is_a_conflict():
    repository_create(name="stable")

    with pytest.raises(Conflict) as error:
        repository_create(name="stable", title="again")

    assert error.value.code == "repository_exists"
    assert Repository.objects.get().title == ""


@pytest.mark.parametrize(
    ("field", "values"),
    [
        ("name", {"name": "../etc"}),
        ("name", {"name": ".hidden"}),
        ("collection_id", {"name": "a", "collection_id": "not a cid"}),
        ("default_branch", {"name": "a", "default_branch": "../x"}),
        ("retention_count", {"name": "a", "retention_count": 0}),
        ("retention_count", {"name": "a", "retention_count": True}),
        ("check_hooks", {"name": "a", "check_hooks": [{"name": "x", "command": "rm -rf /"}]}),
        (
            "check_hooks",
            {"name": "a", "check_hooks": [{"name": "x", "command": ["a"]}, {"name": "x", "command": ["b"]}]},
        ),
        ("check_hooks", {"name": "a", "check_hooks": [{"name": "../x", "command": ["a"]}]}),
        ("check_hooks", {"name": "a", "check_hooks": [{"name": "x", "command": ["a"], "shell": True}]}),
        ("publish_hook", {"name": "a", "publish_hook": {"command": []}}),
        ("publish_hook", {"name": "a", "publish_hook": ["true"]}),
    ],
)
def test_invalid_input_names_the_field_and_creates_nothing(field, values, builds_storage):
    with pytest.raises(ApplicationError) as error:
        repository_create(**values)

    assert error.value.code == "validation_error"
    assert field in error.value.details
    assert not Repository.objects.exists()
    assert not (builds_storage / "repos").exists()


def test_update_changes_hooks_and_queues_a_summary_update_for_a_new_title(run_jobs):
    repository = repository_create(name="stable", title="Old")

    repository_update(
        repository=repository, check_hooks=[{"name": "lint", "command": ["true"]}], retention_count=4
    )
    assert not Job.objects.exists()
    with run_jobs():
        repository_update(repository=repository, title="New title")

    repository.refresh_from_db()
    assert (repository.title, repository.retention_count) == ("New title", 4)
    assert repository.check_hooks == [{"name": "lint", "command": ["true"], "reviewable": False}]
    job = Job.objects.get()
    assert (job.kind, job.status) == (JobKind.UPDATE_REPO, JobStatus.ENDED)
    path = Storage.configured().repository("stable")
    assert "New title" in sh("ostree", "summary", f"--repo={path}", "--view")


def test_name_and_collection_id_are_fixed():
    repository = repository_create(name="stable")

    for field in ("name", "collection_id", "id"):
        with pytest.raises(ApplicationError) as error:
            repository_update(repository=repository, **{field: "x"})
        assert field in error.value.details
