"""Build APIs: list and read builds, create one, commit, publish, purge, review a check.

Staff may do everything; a build token what its claims allow (``builds.access``); anyone else
signed in reads the builds of public repositories and their own. Uploads go through the
flat-manager protocol (``builds.protocol``), which CI clients speak. A wrong state is a 409
``conflict`` whose details name the field, the current state and the expected one.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from builds.apibase import (
    CHANGE_REFUSED,
    TOKEN_REFUSED,
    BuildsApi,
    IsStaffOrBuildToken,
    actor_of,
    claims_of,
    is_staff,
    iso,
)
from builds.builds.access import (
    BuildOperation,
    authorize_build_create,
    authorize_caller,
    authorize_check_review,
)
from builds.builds.creators import creator_of
from builds.builds.errors import BuildErrorCode
from builds.builds.models import Build, BuildRef, Check, CheckStatus, PublishedState, RepoState
from builds.builds.selectors import build_extended, build_get, build_list, builds_visible
from builds.builds.services import build_commit, build_create, build_publish, build_purge, check_review
from builds.jobs.api.views import JobOutputSerializer, job_representation
from builds.jobs.models import Job
from builds.jobs.selectors import jobs_of_build
from builds.repos.selectors import repository_get, repository_visible
from servicekit.api import JSONBooleanField, StrictSerializer
from servicekit.auth.permissions import principal_of
from servicekit.envelope.pagination import paginated_response
from servicekit.openapi import error_codes
from servicekit.params import query_filters


def build_representation(build: Build) -> dict[str, Any]:
    return {
        "id": build.id,
        "repository": build.repository.name,
        "app_id": build.app_id or None,
        "public_download": build.public_download,
        "build_log_url": build.build_log_url or None,
        "extra_ids": build.extra_ids,
        "repo_state": build.get_repo_state_display(),
        "repo_state_reason": build.repo_state_reason,
        "published_state": build.get_published_state_display(),
        "published_state_reason": build.published_state_reason,
        "commit_job_id": build.commit_job_id,
        "publish_job_id": build.publish_job_id,
        "creator": creator_of(build),
        "download_url": f"{settings.BUILDS['PUBLIC_URL']}/build-repo/{build.id}/",
        "created_at": iso(build.created_at),
        "updated_at": iso(build.updated_at),
        "committed_at": iso(build.committed_at),
        "published_at": iso(build.published_at),
    }


def ref_representation(ref: BuildRef) -> dict[str, Any]:
    return {
        "id": ref.id,
        "ref_name": ref.ref_name,
        "commit": ref.commit,
        "build_log_url": ref.build_log_url or None,
        "committed_commit": ref.committed_commit or None,
        "published_commit": ref.published_commit or None,
    }


def check_representation(check: Check) -> dict[str, Any]:
    return {
        "name": check.name,
        "status": check.get_status_display(),
        "status_reason": check.status_reason,
        "results": check.results,
        "reviewable": check.reviewable,
        "reviewed_by": check.reviewed_by or None,
        "job_id": check.job_id,
        "updated_at": iso(check.updated_at),
    }


class CreatorSerializer(serializers.Serializer):
    user_id = serializers.CharField(allow_null=True)
    token_sub = serializers.CharField(allow_null=True)
    name = serializers.CharField()


class BuildOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    repository = serializers.CharField()
    app_id = serializers.CharField(allow_null=True)
    public_download = serializers.BooleanField()
    build_log_url = serializers.CharField(allow_null=True)
    extra_ids = serializers.ListField(child=serializers.CharField())
    repo_state = serializers.ChoiceField(choices=RepoState.labels)
    repo_state_reason = serializers.CharField()
    published_state = serializers.ChoiceField(choices=PublishedState.labels)
    published_state_reason = serializers.CharField()
    commit_job_id = serializers.IntegerField(allow_null=True)
    publish_job_id = serializers.IntegerField(allow_null=True)
    creator = CreatorSerializer()
    download_url = serializers.URLField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    committed_at = serializers.DateTimeField(allow_null=True)
    published_at = serializers.DateTimeField(allow_null=True)

    def to_representation(self, instance: Build) -> dict[str, Any]:
        return build_representation(instance)


class RefOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    ref_name = serializers.CharField()
    commit = serializers.CharField()
    build_log_url = serializers.CharField(allow_null=True)
    committed_commit = serializers.CharField(allow_null=True)
    published_commit = serializers.CharField(allow_null=True)


class CheckOutputSerializer(serializers.Serializer):
    name = serializers.CharField()
    status = serializers.ChoiceField(choices=CheckStatus.labels)
    status_reason = serializers.CharField()
    results = serializers.JSONField(allow_null=True)
    reviewable = serializers.BooleanField()
    reviewed_by = serializers.CharField(allow_null=True)
    job_id = serializers.IntegerField()
    updated_at = serializers.DateTimeField()

    def to_representation(self, instance: Check) -> dict[str, Any]:
        return check_representation(instance)


def build_for_caller(request: Request, build_id: int, operation: BuildOperation) -> Build:
    """The build, if the caller may do ``operation`` on it (404 for a build they may not read)."""
    build = build_get(build_id=build_id)
    principal = principal_of(request)
    authorize_caller(
        build,
        operation,
        claims=claims_of(request),
        user_id=principal.id if principal else None,
        staff=is_staff(request),
    )
    return build


def job_answer(job: Job, created: bool) -> Response:
    """A queued job (202), or the one a retry finds already queued or done (200)."""
    return Response(
        job_representation(job), status=status.HTTP_202_ACCEPTED if created else status.HTTP_200_OK
    )


class BuildListApi(BuildsApi):
    """The builds the caller may read, newest first."""

    api_key_scope = "builds:read"

    class FilterSerializer(serializers.Serializer):
        repository = serializers.CharField(required=False, max_length=64)
        app_id = serializers.CharField(required=False, max_length=255)
        repo_state = serializers.ChoiceField(choices=RepoState.labels, required=False)
        published_state = serializers.ChoiceField(choices=PublishedState.labels, required=False)
        include_purged = serializers.BooleanField(required=False, default=False)

    OutputSerializer = BuildOutputSerializer

    @extend_schema(
        parameters=[FilterSerializer],
        responses=OutputSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        filters = query_filters(self.FilterSerializer, request)
        builds = build_list(
            repository=filters.get("repository"),
            app_id=filters.get("app_id"),
            include_purged=filters["include_purged"] or filters.get("repo_state") == "purged",
        )
        if "repo_state" in filters:
            builds = builds.filter(repo_state=RepoState[filters["repo_state"].upper()])
        if "published_state" in filters:
            builds = builds.filter(published_state=PublishedState[filters["published_state"].upper()])
        principal = principal_of(request)
        builds = builds_visible(
            builds,
            staff=is_staff(request),
            user_id=principal.id if principal else None,
            claims=claims_of(request),
        )
        return paginated_response(
            queryset=builds, serializer_class=self.OutputSerializer, request=request, view=self
        )


class BuildCreateApi(BuildsApi):
    """A new build (``uploading``) in a repository; staff, or a build token allowed to create
    builds there."""

    api_key_scope = "builds:write"

    permission_classes = [IsStaffOrBuildToken]

    class InputSerializer(StrictSerializer):
        class Meta:
            ref_name = "BuildCreateInput"

        repository = serializers.CharField(max_length=64)
        app_id = serializers.CharField(max_length=255, required=False, allow_null=True, default=None)
        public_download = JSONBooleanField(required=False, allow_null=True, default=None)
        build_log_url = serializers.CharField(max_length=2048, required=False, allow_blank=True, default="")

    OutputSerializer = BuildOutputSerializer

    @error_codes(TOKEN_REFUSED, {404: [BuildErrorCode.NOT_FOUND]})
    @extend_schema(request=InputSerializer, responses={201: OutputSerializer})
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        claims = claims_of(request)
        repository = repository_get(name=data["repository"])
        repository_visible(repository, staff=is_staff(request), claims=claims)
        if claims is not None:
            authorize_build_create(claims, repository=repository.name, app_id=data["app_id"])
        build = build_create(
            repository=repository,
            actor=actor_of(request),
            app_id=data["app_id"],
            public_download=data["public_download"],
            build_log_url=data["build_log_url"],
            token_type=claims.token_type if claims else None,
        )
        return Response(self.OutputSerializer(build).data, status=status.HTTP_201_CREATED)


class BuildDetailApi(BuildsApi):
    """A build with its refs, checks and jobs."""

    api_key_scope = "builds:read"

    class OutputSerializer(BuildOutputSerializer):
        class Meta:
            ref_name = "BuildDetailOutput"

        refs = RefOutputSerializer(many=True)
        checks = CheckOutputSerializer(many=True)
        jobs = JobOutputSerializer(many=True)

        def to_representation(self, instance: Build) -> dict[str, Any]:
            extended = build_extended(build_id=instance.id)
            return {
                **build_representation(extended.build),
                "refs": [ref_representation(ref) for ref in extended.refs],
                "checks": [check_representation(check) for check in extended.checks],
                "jobs": [job_representation(job) for job in jobs_of_build(build_id=instance.id)],
            }

    @error_codes(TOKEN_REFUSED)
    @extend_schema(responses=OutputSerializer)
    def get(self, request: Request, build_id: int) -> Response:
        build = build_for_caller(request, build_id, BuildOperation.READ)
        return Response(self.OutputSerializer(build).data)


class BuildCommitApi(BuildsApi):
    """Queue the commit job of an uploading build (202 with the job); asked again with the same
    options it answers the same job (200)."""

    api_key_scope = "builds:write"

    class InputSerializer(StrictSerializer):
        class Meta:
            ref_name = "BuildCommitInput"

        endoflife = serializers.CharField(max_length=1024, required=False, allow_null=True, default=None)
        endoflife_rebase = serializers.CharField(
            max_length=255, required=False, allow_null=True, default=None
        )
        token_type = serializers.IntegerField(min_value=0, required=False, allow_null=True, default=None)

    @error_codes(CHANGE_REFUSED, {400: [BuildErrorCode.NO_REFS], 409: [BuildErrorCode.WRONG_STATE]})
    @extend_schema(request=InputSerializer, responses={202: JobOutputSerializer, 200: JobOutputSerializer})
    def post(self, request: Request, build_id: int) -> Response:
        build = build_for_caller(request, build_id, BuildOperation.COMMIT)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        job, created = build_commit(
            build_id=build.id,
            actor=actor_of(request),
            end_of_life=data["endoflife"],
            end_of_life_rebase=data["endoflife_rebase"],
            token_type=data["token_type"],
        )
        return job_answer(job, created)


class BuildPublishApi(BuildsApi):
    """Queue the publish job of a ready build whose checks passed (202 with the job); a build
    publishing or published answers its publish job (200)."""

    api_key_scope = "builds:write"

    @error_codes(CHANGE_REFUSED, {409: [BuildErrorCode.WRONG_STATE, BuildErrorCode.CHECKS_NOT_PASSED]})
    @extend_schema(request=None, responses={202: JobOutputSerializer, 200: JobOutputSerializer})
    def post(self, request: Request, build_id: int) -> Response:
        build = build_for_caller(request, build_id, BuildOperation.PUBLISH)
        job, created = build_publish(build_id=build.id, actor=actor_of(request))
        return job_answer(job, created)


class BuildPurgeApi(BuildsApi):
    """Delete a build's repository (a purged build answers as it is)."""

    api_key_scope = "builds:write"

    @error_codes(CHANGE_REFUSED, {409: [BuildErrorCode.WRONG_STATE]})
    @extend_schema(request=None, responses=BuildOutputSerializer)
    def post(self, request: Request, build_id: int) -> Response:
        build = build_for_caller(request, build_id, BuildOperation.PURGE)
        build = build_purge(build_id=build.id, actor=actor_of(request))
        return Response(BuildOutputSerializer(build).data)


class CheckReviewApi(BuildsApi):
    """A reviewer's verdict on a reviewable check of a validating build: staff, or a build token
    with the ``reviewcheck`` scope."""

    api_key_scope = "builds:write"

    class InputSerializer(StrictSerializer):
        class Meta:
            ref_name = "CheckReviewInput"

        status = serializers.ChoiceField(choices=["passed", "passed_with_warnings", "failed"])
        results = serializers.JSONField(required=False, allow_null=True, default=None)

    @error_codes(CHANGE_REFUSED, {409: [BuildErrorCode.WRONG_STATE, BuildErrorCode.CHECK_NOT_REVIEWABLE]})
    @extend_schema(request=InputSerializer, responses=CheckOutputSerializer)
    def post(self, request: Request, build_id: int, name: str) -> Response:
        claims = claims_of(request)
        if claims is not None:
            authorize_check_review(claims)
            build = build_get(build_id=build_id)
        else:
            build = build_for_caller(request, build_id, BuildOperation.REVIEW)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        check = check_review(
            build_id=build.id,
            name=name,
            status=CheckStatus[serializer.validated_data["status"].upper()],
            reviewer=actor_of(request),
            results=serializer.validated_data["results"],
        )
        return Response(CheckOutputSerializer(check).data)
