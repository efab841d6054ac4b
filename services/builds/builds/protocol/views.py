"""The protocol's calls, in the order a CI job makes them (``docs/api.md``, "flat-manager
protocol"). Each view: the build token's claims → the access rule → a domain service or
selector → flat-manager's JSON, status 200. Errors are the protocol's (``errors.py``)."""

from __future__ import annotations

import contextlib
import functools
import gzip
import json
import logging
import re
import zlib
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from builds.builds.access import (
    BuildOperation,
    authorize_build,
    authorize_build_create,
    authorize_jobs,
    authorize_prune,
    authorize_ref,
    authorize_republish,
)
from builds.builds.creators import Actor
from builds.builds.models import Build
from builds.builds.refs import InvalidRef, parse_ref
from builds.builds.selectors import build_extended, build_get, build_missing_objects, build_ref_get, check_get
from builds.builds.services import (
    build_add_extra_ids,
    build_commit,
    build_create,
    build_publish,
    build_purge,
    build_ref_create,
    build_upload,
)
from builds.jobs.models import Job
from builds.jobs.selectors import job_get, job_log_since
from builds.protocol.errors import ProtocolError, error_response, plain_error
from builds.protocol.multipart import MalformedMultipart, boundary_of, read_parts
from builds.protocol.representations import build_json, build_ref_json, check_json, job_json
from builds.repos.selectors import repository_get
from builds.repos.services import repository_prune, repository_republish
from builds.tokens.claims import Claims
from builds.tokens.selectors import token_verify
from builds.tokens.services import token_subset
from servicekit.auth.authentication import credentials_for
from servicekit.envelope.errors import ApplicationError, NotFound

logger = logging.getLogger(__name__)

MAX_JSON_BYTES = 8 * 1024 * 1024  # decompressed: 2000 object names are ~150 KiB
_PREFIX = re.compile(r"(/[A-Za-z0-9._~-]+)*")

View = Callable[..., HttpResponse]


def protocol(*methods: str) -> Callable[[View], View]:
    """A protocol view: only ``methods``; ``view(request, claims, **kwargs)`` with the verified
    build token's claims; every refusal in the protocol's error shape."""

    def wrap(view: View) -> View:
        @csrf_exempt
        @functools.wraps(view)
        def handler(request: HttpRequest, **kwargs: Any) -> HttpResponse:
            if request.method not in methods:
                return plain_error(405, "generic-error", f"{request.method} is not allowed here")
            try:
                claims = token_verify(credentials_for(request, "Bearer") or "")
                return view(request, claims, **kwargs)
            except ApplicationError as error:
                return error_response(error)
            except Exception:
                logger.exception("flat-manager protocol call failed")
                return plain_error(500, "internal-error", "Internal server error")

        return handler

    return wrap


def ok(body: Any, *, location: str | None = None) -> JsonResponse:
    response = JsonResponse(body, safe=False)
    if location:
        response["Location"] = location
    return response


def json_body(request: HttpRequest) -> dict[str, Any]:
    """The request's JSON object (``{}`` when empty), gzip-compressed or not."""
    raw = request.read(MAX_JSON_BYTES + 1)
    if request.headers.get("Content-Encoding", "").lower() == "gzip":
        raw = _gunzip(raw)
    if len(raw) > MAX_JSON_BYTES:
        raise ProtocolError("Request body too large")
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):
        raise ProtocolError("Invalid JSON body") from None
    if not isinstance(body, dict):
        raise ProtocolError("The body must be a JSON object")
    return body


def _gunzip(raw: bytes) -> bytes:
    decompressor = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        data = decompressor.decompress(raw, MAX_JSON_BYTES + 1)
    except (zlib.error, gzip.BadGzipFile):
        raise ProtocolError("Invalid gzip body") from None
    if len(data) > MAX_JSON_BYTES:
        raise ProtocolError("Request body too large")
    return data


def build_url(request: HttpRequest, build_id: int) -> str:
    """The absolute build URL clients append to: the gateway's origin (Host, X-Forwarded-*)
    and any prefix a proxy in front of it strips (X-Forwarded-Prefix)."""
    return _absolute(request, f"api/v1/build/{build_id}")


def job_url(request: HttpRequest, job_id: int) -> str:
    return _absolute(request, f"api/v1/job/{job_id}")


def _absolute(request: HttpRequest, path: str) -> str:
    prefix = request.headers.get("X-Forwarded-Prefix", "").rstrip("/")
    if not _PREFIX.fullmatch(prefix):
        prefix = ""
    return request.build_absolute_uri(f"{prefix}/flat-manager/{path}")


def _build(claims: Claims, build_id: int, operation: BuildOperation) -> Build:
    build = build_get(build_id=build_id)
    authorize_build(claims, build, operation)
    return build


def _actor(claims: Claims) -> Actor:
    return Actor.from_claims(claims)


def _job_answer(request: HttpRequest, job: Job) -> JsonResponse:
    """A job polled with ``{"log-offset": N}``: only the log after N."""
    offset = json_body(request).get("log-offset", 0)
    if not isinstance(offset, int) or isinstance(offset, bool):
        raise ProtocolError("log-offset must be an integer")
    return ok(job_json(job, job_log_since(job_id=job.id, offset=offset)))


# -- builds --------------------------------------------------------------------------------


@protocol("POST")
def create_build(request: HttpRequest, claims: Claims) -> HttpResponse:
    body = json_body(request)
    repository_name, app_id = body.get("repo"), body.get("app-id")
    if not isinstance(repository_name, str):
        raise ProtocolError("repo is required")
    if app_id is not None and not isinstance(app_id, str):
        raise ProtocolError("app-id must be a string")
    authorize_build_create(claims, repository=repository_name, app_id=app_id)
    build = build_create(
        repository=repository_get(name=repository_name),
        actor=_actor(claims),
        app_id=app_id,
        public_download=body.get("public-download"),
        build_log_url=body.get("build-log-url") or "",
        token_type=claims.token_type,
    )
    return ok(build_json(build), location=build_url(request, build.id))


@protocol("GET")
def get_build(request: HttpRequest, claims: Claims, build_id: int) -> HttpResponse:
    return ok(build_json(_build(claims, build_id, BuildOperation.READ)))


@protocol("GET")
def get_build_extended(request: HttpRequest, claims: Claims, build_id: int) -> HttpResponse:
    _build(claims, build_id, BuildOperation.READ)
    extended = build_extended(build_id=build_id)
    return ok(
        {
            "build": build_json(extended.build),
            "build_refs": [build_ref_json(ref) for ref in extended.refs],
            "checks": [check_json(check) for check in extended.checks],
        }
    )


@protocol("GET", "POST")
def missing_objects(request: HttpRequest, claims: Claims, build_id: int) -> HttpResponse:
    build = _build(claims, build_id, BuildOperation.UPLOAD)
    wanted = json_body(request).get("wanted")
    return ok({"missing": build_missing_objects(build=build, wanted=wanted)})


@protocol("POST")
def upload(request: HttpRequest, claims: Claims, build_id: int) -> HttpResponse:
    """``multipart/mixed`` parts named ``<object>`` or ``<delta part>``, streamed to disk one
    after the other; answers the stored names (one per part; a part already stored counts)."""
    build = _build(claims, build_id, BuildOperation.UPLOAD)
    try:
        boundary = boundary_of(request.headers.get("Content-Type", ""))
        parts = ((filename or "", chunks) for filename, chunks in read_parts(request, boundary))
        stored = build_upload(build=build, parts=parts)
    except MalformedMultipart as error:
        raise ProtocolError(str(error)) from None
    return ok([part.name for part in stored])


@protocol("POST")
def create_build_ref(request: HttpRequest, claims: Claims, build_id: int) -> HttpResponse:
    _build(claims, build_id, BuildOperation.UPLOAD)
    body = json_body(request)
    ref_name = body.get("ref")
    with contextlib.suppress(InvalidRef):  # refused by the service, with its message
        authorize_ref(claims, parse_ref(ref_name))
    build_ref = build_ref_create(
        build_id=build_id,
        ref_name=ref_name,
        commit=body.get("commit"),
        build_log_url=body.get("build-log-url") or "",
    )
    return ok(build_ref_json(build_ref))


@protocol("GET")
def get_build_ref(request: HttpRequest, claims: Claims, build_id: int, ref_id: int) -> HttpResponse:
    _build(claims, build_id, BuildOperation.READ)
    return ok(build_ref_json(build_ref_get(build_id=build_id, ref_id=ref_id)))


@protocol("POST")
def add_extra_ids(request: HttpRequest, claims: Claims, build_id: int) -> HttpResponse:
    _build(claims, build_id, BuildOperation.UPLOAD)
    build = build_add_extra_ids(build_id=build_id, ids=json_body(request).get("ids"))
    return ok(build_json(build))


@protocol("GET", "POST")
def commit(request: HttpRequest, claims: Claims, build_id: int) -> HttpResponse:
    """POST queues the commit job (or answers it again); GET follows it."""
    if request.method == "GET":
        build = _build(claims, build_id, BuildOperation.READ)
        return _job_answer(request, _job_of(build, build.commit_job_id, "commit"))
    _build(claims, build_id, BuildOperation.COMMIT)
    body = json_body(request)
    job, _ = build_commit(
        build_id=build_id,
        actor=_actor(claims),
        end_of_life=body.get("endoflife"),
        end_of_life_rebase=body.get("endoflife_rebase"),
        token_type=body.get("token_type"),
    )
    return ok(job_json(job, ""), location=f"{build_url(request, build_id)}/commit")


@protocol("GET", "POST")
def publish(request: HttpRequest, claims: Claims, build_id: int) -> HttpResponse:
    """POST queues the publish job (or answers it again); GET follows it."""
    if request.method == "GET":
        build = _build(claims, build_id, BuildOperation.READ)
        return _job_answer(request, _job_of(build, build.publish_job_id, "publish"))
    _build(claims, build_id, BuildOperation.PUBLISH)
    job, _ = build_publish(build_id=build_id, actor=_actor(claims))
    return ok(job_json(job, ""), location=f"{build_url(request, build_id)}/publish")


@protocol("POST")
def purge(request: HttpRequest, claims: Claims, build_id: int) -> HttpResponse:
    _build(claims, build_id, BuildOperation.PURGE)
    return ok(build_json(build_purge(build_id=build_id, actor=_actor(claims))))


@protocol("GET", "POST")
def check_job(request: HttpRequest, claims: Claims, build_id: int, name: str) -> HttpResponse:
    _build(claims, build_id, BuildOperation.CHECKS)
    return _job_answer(request, check_get(build_id=build_id, name=name).job)


def _job_of(build: Build, job_id: int | None, what: str) -> Job:
    if job_id is None:
        raise NotFound(f"Build {build.id} has no {what} job")
    return job_get(job_id=job_id)


# -- repositories --------------------------------------------------------------------------


@protocol("POST")
def republish(request: HttpRequest, claims: Claims, repo: str) -> HttpResponse:
    """``{"app", "endoflife"?, "endoflife_rebase"?}`` → the republish job (Location: its URL)."""
    body = json_body(request)
    app_id = body.get("app")
    if not isinstance(app_id, str):
        raise ProtocolError("app is required")
    authorize_republish(claims, repository=repo, app_id=app_id)
    job = repository_republish(
        repository=repository_get(name=repo),
        app_id=app_id,
        end_of_life=body.get("endoflife"),
        end_of_life_rebase=body.get("endoflife_rebase"),
    )
    return ok(job_json(job, ""), location=job_url(request, job.id))


@protocol("POST")
def prune(request: HttpRequest, claims: Claims) -> HttpResponse:
    """``{"repo"}`` → the prune job of that repository (Location: its URL)."""
    repository_name = json_body(request).get("repo")
    if not isinstance(repository_name, str):
        raise ProtocolError("repo is required")
    authorize_prune(claims, repository=repository_name)
    job, _ = repository_prune(repository=repository_get(name=repository_name))
    return ok(job_json(job, ""), location=job_url(request, job.id))


# -- jobs and tokens -----------------------------------------------------------------------


@protocol("GET", "POST")
def get_job(request: HttpRequest, claims: Claims, job_id: int) -> HttpResponse:
    authorize_jobs(claims)
    return _job_answer(request, job_get(job_id=job_id))


@protocol("POST")
def create_token_subset(request: HttpRequest, claims: Claims) -> HttpResponse:
    body = json_body(request)
    name, sub, scope, duration = body.get("name"), body.get("sub"), body.get("scope"), body.get("duration")
    if not isinstance(name, str) or not isinstance(sub, str) or not _strings(scope):
        raise ProtocolError("name, sub and scope (a list of strings) are required")
    issued = token_subset(
        parent=claims,
        name=name,
        sub=sub,
        scope=scope,
        duration=duration,
        prefixes=_optional_strings(body, "prefixes"),
        apps=_optional_strings(body, "apps"),
        repos=_optional_strings(body, "repos"),
    )
    return ok({"token": issued.token})


def _optional_strings(body: dict[str, Any], key: str) -> list[str] | None:
    value = body.get(key)
    if value is None:
        return None
    if not _strings(value):
        raise ProtocolError(f"{key} must be a list of strings")
    return value


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


@csrf_exempt
def not_found(request: HttpRequest, path: str = "") -> HttpResponse:
    return plain_error(404, "not-found", "No such API call")
