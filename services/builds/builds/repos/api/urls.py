"""Routes under /api/v1/builds/repos/ (builds/urls.py)."""

from django.urls import path

from builds.repos.api.views import (
    RepositoryCreateApi,
    RepositoryDetailApi,
    RepositoryListApi,
    RepositoryPruneApi,
    RepositoryRepublishApi,
    RepositoryUpdateApi,
)
from servicekit.api import operations

urlpatterns = [
    path("", operations(get=RepositoryListApi, post=RepositoryCreateApi), name="repos-repository-list"),
    path(
        "<str:name>/",
        operations(get=RepositoryDetailApi, patch=RepositoryUpdateApi),
        name="repos-repository-detail",
    ),
    path("<str:name>/republish/", RepositoryRepublishApi.as_view(), name="repos-repository-republish"),
    path("<str:name>/prune/", RepositoryPruneApi.as_view(), name="repos-repository-prune"),
]
