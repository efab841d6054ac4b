"""Routes under /api/v1/builds/builds/ (builds/urls.py)."""

from django.urls import path

from builds.builds.api.views import (
    BuildCommitApi,
    BuildCreateApi,
    BuildDetailApi,
    BuildListApi,
    BuildPublishApi,
    BuildPurgeApi,
    CheckReviewApi,
)
from servicekit.api import operations

urlpatterns = [
    path("", operations(get=BuildListApi, post=BuildCreateApi), name="builds-build-list"),
    path("<int:build_id>/", BuildDetailApi.as_view(), name="builds-build-detail"),
    path("<int:build_id>/commit/", BuildCommitApi.as_view(), name="builds-build-commit"),
    path("<int:build_id>/publish/", BuildPublishApi.as_view(), name="builds-build-publish"),
    path("<int:build_id>/purge/", BuildPurgeApi.as_view(), name="builds-build-purge"),
    path("<int:build_id>/checks/<str:name>/review/", CheckReviewApi.as_view(), name="builds-check-review"),
]
