"""Build reads: which published builds fall beyond a repository's retention, lists."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from builds.builds.models import PublishedState, RepoState
from builds.builds.selectors import build_extended, build_list, builds_beyond_retention
from tests.factories import BuildFactory, BuildRefFactory, CheckFactory, RepositoryFactory

pytestmark = pytest.mark.django_db

APP = "app/org.example.Hello/x86_64/stable"
LOCALE = "runtime/org.example.Hello.Locale/x86_64/stable"


def published(repository, *refs, age_minutes, **overrides):
    values = {
        "repository": repository,
        "repo_state": RepoState.READY,
        "published_state": PublishedState.PUBLISHED,
        "published_at": timezone.now() - timedelta(minutes=age_minutes),
    }
    build = BuildFactory(**{**values, **overrides})
    for ref in refs:
        BuildRefFactory(build=build, ref_name=ref)
    return build


def test_builds_beyond_retention_for_each_of_their_refs():
    repository = RepositoryFactory(retention_count=2)
    oldest = published(repository, APP, LOCALE, age_minutes=40)
    old_app_only = published(repository, APP, age_minutes=30)
    middle = published(repository, APP, age_minutes=20)
    newest = published(repository, APP, age_minutes=10)

    beyond = builds_beyond_retention(build_id=newest.id)

    # old_app_only has two newer app builds; oldest's Locale is still its latest: kept.
    assert beyond == [old_app_only.id]
    assert middle.id not in beyond and oldest.id not in beyond


def test_retention_ignores_other_refs_repositories_unpublished_and_purged_builds():
    repository = RepositoryFactory(retention_count=1)
    other_repository = RepositoryFactory(retention_count=1)
    old = published(repository, APP, age_minutes=50)
    published(other_repository, APP, age_minutes=5)
    published(repository, "app/org.example.Other/x86_64/stable", age_minutes=5)
    purged_newer = published(repository, APP, age_minutes=30, repo_state=RepoState.PURGED)
    BuildFactory(repository=repository, repo_state=RepoState.READY)  # unpublished
    newest = published(repository, APP, age_minutes=1)

    assert builds_beyond_retention(build_id=newest.id) == [old.id]
    assert purged_newer.id not in builds_beyond_retention(build_id=newest.id)


def test_build_list_leaves_purged_builds_out_unless_asked():
    repository = RepositoryFactory()
    live = BuildFactory(repository=repository)
    purged = BuildFactory(repository=repository, repo_state=RepoState.PURGED)
    BuildFactory(app_id="org.example.Other")

    assert list(build_list(repository=repository.name)) == [live]
    assert set(build_list(repository=repository.name, include_purged=True)) == {live, purged}
    assert {b.app_id for b in build_list(app_id="org.example.Other")} == {"org.example.Other"}


def test_build_extended_has_refs_and_checks(django_assert_max_num_queries):
    build = BuildFactory()
    BuildRefFactory(build=build)
    CheckFactory(build=build, name="lint")

    with django_assert_max_num_queries(3):
        extended = build_extended(build_id=build.id)
        assert [r.ref_name for r in extended.refs] == [APP]
        assert [(c.name, c.job.kind) for c in extended.checks] == [("lint", 4)]
