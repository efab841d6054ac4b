"""Repository reads."""

from __future__ import annotations

from django.db.models import QuerySet

from builds.repos.errors import RepositoryErrorCode
from builds.repos.models import Repository
from servicekit.envelope.errors import NotFound


def repository_list() -> QuerySet[Repository]:
    return Repository.objects.all()


def repository_get(*, name: str) -> Repository:
    repository = Repository.objects.filter(name=name).first() if isinstance(name, str) else None
    if repository is None:
        raise NotFound(f"No repository named {name}.", code=RepositoryErrorCode.NOT_FOUND)
    return repository
