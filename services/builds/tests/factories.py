"""factory_boy factories: rows for the given state of a test (they bypass services: no events,
nothing on disk)."""

import factory
from factory.django import DjangoModelFactory

from builds.builds.models import Build, BuildRef, Check, CheckStatus, PublishedState, RepoState
from builds.jobs.models import Job, JobKind, JobStatus
from builds.repos.models import Repository


class RepositoryFactory(DjangoModelFactory):
    class Meta:
        model = Repository
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"repo-{n}")
    title = factory.LazyAttribute(lambda o: o.name.title())
    retention_count = 3


class BuildFactory(DjangoModelFactory):
    class Meta:
        model = Build

    repository = factory.SubFactory(RepositoryFactory)
    app_id = "org.example.Hello"
    public_download = False
    repo_state = RepoState.UPLOADING
    published_state = PublishedState.UNPUBLISHED
    creator_token_sub = "build"
    creator_name = "ci"


class BuildRefFactory(DjangoModelFactory):
    class Meta:
        model = BuildRef

    build = factory.SubFactory(BuildFactory)
    ref_name = "app/org.example.Hello/x86_64/stable"
    commit = "a" * 64


class JobFactory(DjangoModelFactory):
    class Meta:
        model = Job

    kind = JobKind.COMMIT
    status = JobStatus.NEW
    contents = factory.LazyAttribute(lambda o: {"build": o.build_id})
    build_id = None


class CheckFactory(DjangoModelFactory):
    class Meta:
        model = Check

    build = factory.SubFactory(BuildFactory)
    name = factory.Sequence(lambda n: f"check-{n}")
    job = factory.SubFactory(
        JobFactory, kind=JobKind.CHECK, build_id=factory.SelfAttribute("..build.id"), status=JobStatus.ENDED
    )
    status = CheckStatus.PENDING
    reviewable = False
