"""Repository APIs: staff create and change them; every signed-in caller reads the public ones
(staff every one, a build token also those its ``repos`` claim names). Republishing an app
(staff, or a build token with ``republish`` for the repository and the app) and pruning a
repository's old history (staff) queue jobs, answered 202 with the job."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from builds.apibase import (
    CHANGE_REFUSED,
    BuildsApi,
    IsStaffOrBuildToken,
    StaffApi,
    claims_of,
    is_staff,
    iso,
)
from builds.builds.access import authorize_republish
from builds.builds.api.views import job_answer
from builds.jobs.api.views import JobOutputSerializer
from builds.repos.errors import RepositoryErrorCode
from builds.repos.models import Repository
from builds.repos.selectors import (
    repositories_visible,
    repository_get,
    repository_list,
    repository_visible,
)
from builds.repos.services import (
    repository_create,
    repository_prune,
    repository_republish,
    repository_update,
)
from servicekit.api import JSONBooleanField, StrictSerializer
from servicekit.envelope.pagination import paginated_response
from servicekit.openapi import error_codes


def repository_representation(repository: Repository) -> dict[str, Any]:
    return {
        "name": repository.name,
        "title": repository.title,
        "default_branch": repository.default_branch,
        "collection_id": repository.collection_id or None,
        "is_public": repository.is_public,
        "retention_count": repository.retention_count,
        "check_hooks": repository.check_hooks,
        "publish_hook": repository.publish_hook,
        "url": f"{settings.BUILDS['PUBLIC_URL']}/repo/{repository.name}/",
        "created_at": iso(repository.created_at),
        "updated_at": iso(repository.updated_at),
    }


class RepositoryOutputSerializer(serializers.Serializer):
    name = serializers.CharField()
    title = serializers.CharField()
    default_branch = serializers.CharField()
    collection_id = serializers.CharField(allow_null=True)
    is_public = serializers.BooleanField()
    retention_count = serializers.IntegerField()
    check_hooks = serializers.JSONField()
    publish_hook = serializers.JSONField(allow_null=True)
    url = serializers.URLField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def to_representation(self, instance: Repository) -> dict[str, Any]:
        return repository_representation(instance)


class RepositoryListApi(BuildsApi):
    """The repositories the caller may see."""

    api_key_scope = "builds:read"

    OutputSerializer = RepositoryOutputSerializer

    @extend_schema(
        responses=OutputSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        repositories = repositories_visible(
            repository_list(), staff=is_staff(request), claims=claims_of(request)
        )
        return paginated_response(
            queryset=repositories, serializer_class=self.OutputSerializer, request=request, view=self
        )


class RepositoryCreateApi(StaffApi):
    api_key_scope = "builds:write"

    class InputSerializer(StrictSerializer):
        class Meta:
            ref_name = "RepositoryCreateInput"

        # Shapes (names, branches, hooks) are checked by the service, which names the field.
        name = serializers.CharField(max_length=64)
        title = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
        default_branch = serializers.CharField(max_length=64, required=False, default="stable")
        collection_id = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
        is_public = JSONBooleanField(required=False, default=True)
        retention_count = serializers.IntegerField(required=False, default=3)
        check_hooks = serializers.JSONField(required=False, default=list)
        publish_hook = serializers.JSONField(required=False, default=None, allow_null=True)

    OutputSerializer = RepositoryOutputSerializer

    @error_codes({409: [RepositoryErrorCode.NAME_TAKEN]})
    @extend_schema(request=InputSerializer, responses={201: OutputSerializer})
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        repository = repository_create(**serializer.validated_data)
        return Response(self.OutputSerializer(repository).data, status=status.HTTP_201_CREATED)


class RepositoryDetailApi(BuildsApi):
    api_key_scope = "builds:read"
    OutputSerializer = RepositoryOutputSerializer

    @extend_schema(responses=OutputSerializer)
    def get(self, request: Request, name: str) -> Response:
        repository = repository_get(name=name)
        repository_visible(repository, staff=is_staff(request), claims=claims_of(request))
        return Response(self.OutputSerializer(repository).data)


class RepositoryUpdateApi(StaffApi):
    """Change a repository (its name and collection id are fixed)."""

    api_key_scope = "builds:write"

    class InputSerializer(StrictSerializer):
        class Meta:
            ref_name = "RepositoryUpdateInput"

        title = serializers.CharField(max_length=255, required=False, allow_blank=True)
        default_branch = serializers.CharField(max_length=64, required=False)
        is_public = JSONBooleanField(required=False)
        retention_count = serializers.IntegerField(required=False)
        check_hooks = serializers.JSONField(required=False)
        publish_hook = serializers.JSONField(required=False, allow_null=True)

    OutputSerializer = RepositoryOutputSerializer

    @extend_schema(request=InputSerializer, responses=OutputSerializer)
    def patch(self, request: Request, name: str) -> Response:
        repository = repository_get(name=name)
        serializer = self.InputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        repository = repository_update(repository=repository, **serializer.validated_data)
        return Response(self.OutputSerializer(repository).data)


class RepositoryRepublishApi(BuildsApi):
    """Queue a republish of an app already published in the repository: each of its refs gets
    a new commit with the same content (and the end-of-life marks given); 202 with the job."""

    api_key_scope = "builds:write"
    permission_classes = [IsStaffOrBuildToken]

    class InputSerializer(StrictSerializer):
        class Meta:
            ref_name = "RepositoryRepublishInput"

        app_id = serializers.CharField(max_length=255)
        endoflife = serializers.CharField(required=False, allow_null=True, default=None, max_length=1024)
        endoflife_rebase = serializers.CharField(
            required=False, allow_null=True, default=None, max_length=255
        )

    @error_codes(CHANGE_REFUSED)
    @extend_schema(request=InputSerializer, responses={202: JobOutputSerializer})
    def post(self, request: Request, name: str) -> Response:
        repository = repository_get(name=name)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        claims = claims_of(request)
        if claims is not None:
            repository_visible(repository, staff=False, claims=claims)
            authorize_republish(claims, repository=repository.name, app_id=data["app_id"])
        job = repository_republish(
            repository=repository,
            app_id=data["app_id"],
            end_of_life=data["endoflife"],
            end_of_life_rebase=data["endoflife_rebase"],
        )
        return job_answer(job, True)


class RepositoryPruneApi(StaffApi):
    """Queue a prune of the repository: objects no ref reaches within the retention
    (``retention_count`` commits per ref) are deleted; 202 with the job, or 200 with the prune
    already waiting."""

    api_key_scope = "builds:write"

    @extend_schema(request=None, responses={202: JobOutputSerializer, 200: JobOutputSerializer})
    def post(self, request: Request, name: str) -> Response:
        job, created = repository_prune(repository=repository_get(name=name))
        return job_answer(job, created)
