"""Purging a build deletes its repository; idempotent; refused while the build is in use."""

from __future__ import annotations

import pytest

from builds.builds.models import Build, BuildStateChange, RepoState
from builds.builds.services import build_purge
from builds.storage.layout import Storage
from tests.conftest import ACTOR, new_build

pytestmark = pytest.mark.django_db


def test_purge_deletes_the_build_repository_and_says_so(repository, captured_events):
    build = new_build(repository)
    path = Storage.configured().build(build.id)
    assert (path / "upload" / "config").exists()

    purged = build_purge(build_id=build.id, actor=ACTOR)

    assert purged.repo_state == RepoState.PURGED
    assert not path.exists()
    assert Storage.configured().repository(repository.name).exists()
    changes = list(
        BuildStateChange.objects.filter(build=build, from_state__isnull=False).values_list(
            "from_state", "to_state"
        )
    )
    assert changes == [(RepoState.UPLOADING, RepoState.PURGING), (RepoState.PURGING, RepoState.PURGED)]
    event = captured_events.assert_published("builds.build.purged", subject=str(build.id))
    assert event.data["reason"] == "requested"


def test_purging_again_answers_the_purged_build_and_does_nothing(repository, captured_events):
    build = new_build(repository)
    build_purge(build_id=build.id, actor=ACTOR)
    changes = BuildStateChange.objects.count()

    again = build_purge(build_id=build.id, actor=ACTOR)

    assert again.repo_state == RepoState.PURGED
    assert BuildStateChange.objects.count() == changes
    assert len(captured_events.of_type("builds.build.purged")) == 1


def test_a_purge_that_cannot_delete_fails_the_build_with_the_reason(repository, captured_events):
    build = new_build(repository)
    path = Storage.configured().build(build.id)
    for child in sorted(path.rglob("*"), reverse=True):
        child.unlink() if child.is_file() or child.is_symlink() else child.rmdir()
    path.rmdir()
    path.write_text("a file where a directory should be")  # rmtree refuses it

    purged = build_purge(build_id=build.id, actor=ACTOR)

    assert purged.repo_state == RepoState.FAILED
    assert purged.repo_state_reason.startswith("Failed to purge build: ")
    assert Build.objects.get(id=build.id).repo_state == RepoState.FAILED
    captured_events.assert_published("builds.build.failed", stage="purge")
    assert not captured_events.of_type("builds.build.purged")
