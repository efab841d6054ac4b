"""Repository reads, and which repositories a caller may see: staff every one; build tokens the
public ones and those their ``repos`` claim names; everyone else signed in the public ones. A
hidden repository answers 404, as a missing one."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from builds.repos.errors import RepositoryErrorCode
from builds.repos.models import Repository
from builds.tokens.claims import Claims, repo_allowed
from servicekit.envelope.errors import NotFound


def repository_list() -> QuerySet[Repository]:
    return Repository.objects.all()


def repository_get(*, name: str) -> Repository:
    repository = Repository.objects.filter(name=name).first() if isinstance(name, str) else None
    if repository is None:
        raise NotFound(f"No repository named {name}.", code=RepositoryErrorCode.NOT_FOUND)
    return repository


def repositories_visible(
    repositories: QuerySet[Repository], *, staff: bool, claims: Claims | None
) -> QuerySet[Repository]:
    if staff or (claims is not None and "" in claims.repos):
        return repositories
    named = Q(name__in=list(claims.repos)) if claims is not None else Q(pk__in=[])
    return repositories.filter(Q(is_public=True) | named)


def repository_visible(repository: Repository, *, staff: bool, claims: Claims | None) -> None:
    if staff or repository.is_public or (claims is not None and repo_allowed(claims, repository.name)):
        return
    raise NotFound(f"No repository named {repository.name}.", code=RepositoryErrorCode.NOT_FOUND)
