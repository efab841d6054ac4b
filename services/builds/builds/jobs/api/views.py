"""Job APIs: a job, and its log from an offset: JSON, or with ``Accept: text/event-stream`` a
live stream of its new lines (see ``jobs.streams``).

Build tokens need the ``jobs`` scope (the protocol's rule); staff read every job; anyone else
signed in reads the jobs of the builds they may read (the others answer 404).
"""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.http import StreamingHttpResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from builds.apibase import TOKEN_REFUSED, BuildsApi, claims_of, is_staff, iso
from builds.builds.access import authorize_jobs, user_may_read
from builds.builds.selectors import build_get
from builds.jobs.models import Job
from builds.jobs.selectors import job_get, job_log_since
from builds.jobs.streams import EVENT_STREAM, follow_log
from servicekit.auth.permissions import principal_of
from servicekit.envelope.errors import ApplicationError, NotFound
from servicekit.openapi import error_codes
from servicekit.params import present_params


def job_representation(job: Job) -> dict[str, Any]:
    return {
        "id": job.id,
        "kind": job.get_kind_display(),
        "status": job.get_status_display(),
        "contents": job.contents,
        "results": job.results,
        "repository": job.repository.name if job.repository_id else None,
        "build_id": job.build_id,
        "log_length": job.log_length,
        "start_after": iso(job.start_after),
        "created_at": iso(job.created_at),
        "started_at": iso(job.started_at),
        "finished_at": iso(job.finished_at),
    }


class JobOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    status = serializers.CharField()
    contents = serializers.JSONField()
    results = serializers.JSONField(allow_null=True)
    repository = serializers.CharField(allow_null=True)
    build_id = serializers.IntegerField(allow_null=True)
    log_length = serializers.IntegerField()
    start_after = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)

    def to_representation(self, instance: Job) -> dict[str, Any]:
        return job_representation(instance)


def job_for_caller(request: Request, job_id: int) -> Job:
    job = job_get(job_id=job_id)
    claims = claims_of(request)
    if claims is not None:
        authorize_jobs(claims)
    elif not is_staff(request):
        principal = principal_of(request)
        try:
            build = build_get(build_id=job.build_id) if job.build_id else None
        except ApplicationError:
            build = None
        if build is None or not user_may_read(build, user_id=principal.id if principal else None):
            raise NotFound(f"No job {job_id}.", code="not_found")
    return job


class JobDetailApi(BuildsApi):
    api_key_scope = "builds:read"
    OutputSerializer = JobOutputSerializer

    @error_codes(TOKEN_REFUSED)
    @extend_schema(responses=OutputSerializer)
    def get(self, request: Request, job_id: int) -> Response:
        return Response(self.OutputSerializer(job_for_caller(request, job_id)).data)


class JobLogApi(BuildsApi):
    """The log after ``?offset=`` characters: ``{"log", "offset", "finished"}`` where ``offset`` is
    what to ask for next. With ``Accept: text/event-stream``: a stream of ``log`` events (each
    one or more new lines, its ``id`` the offset after them; ``Last-Event-ID`` resumes) and a
    final ``end`` event once the job has finished."""

    api_key_scope = "builds:read"

    class FilterSerializer(serializers.Serializer):
        offset = serializers.IntegerField(min_value=0, required=False, default=0)

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "JobLogOutput"

        log = serializers.CharField()
        offset = serializers.IntegerField()
        status = serializers.CharField()
        finished = serializers.BooleanField()

    @error_codes(TOKEN_REFUSED)
    @extend_schema(
        parameters=[FilterSerializer],
        responses={200: OpenApiResponse(OutputSerializer, description="JSON, or text/event-stream")},
    )
    def get(self, request: Request, job_id: int) -> Response | StreamingHttpResponse:
        job = job_for_caller(request, job_id)
        filters = self.FilterSerializer(data=present_params(request))
        filters.is_valid(raise_exception=True)
        offset = filters.validated_data["offset"]
        if EVENT_STREAM in request.headers.get("Accept", ""):
            offset = _last_event_id(request, default=offset)
            # The stream runs on the event loop and reads through its own async connections:
            # this request's database connection goes back now, not when the stream ends.
            connection.close()
            return follow_log(job_id=job.id, offset=offset)
        log = job_log_since(job_id=job.id, offset=offset)
        body = {
            "log": log,
            "offset": offset + len(log),
            "status": job.get_status_display(),
            "finished": job.is_finished,
        }
        return Response(body)

    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        # The event stream is written by follow_log, not by a renderer; everything else this
        # view answers (errors too) is the JSON envelope, whatever the Accept header says.
        return super().perform_content_negotiation(request, force=True)


def _last_event_id(request: Request, *, default: int) -> int:
    value = request.headers.get("Last-Event-ID", "")
    return int(value) if value.isascii() and value.isdigit() and len(value) < 19 else default
