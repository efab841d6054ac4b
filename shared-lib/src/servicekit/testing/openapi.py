"""Hold a service to its own OpenAPI document.

The pytest plugin passes every response a test client receives to :func:`check_response`: an
answer of a documented operation whose status, code or body the document does not describe
fails the test that received it. So the document (``servicekit.openapi``) and the code cannot
drift apart: a new error code or field shows up as a failing API test until it is documented.

Undocumented routes (health, metrics, admin, ``/internal/``, a method the route does not have),
500s (a bug, never part of an operation's contract) and streamed bodies are not checked.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.http import HttpResponse, HttpResponseBase
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from openapi_core import OpenAPI
from openapi_core.contrib.django import DjangoOpenAPIRequest, DjangoOpenAPIResponse
from openapi_core.datatypes import RequestParameters
from openapi_core.templating.paths.exceptions import PathError

MAX_BODY_IN_MESSAGE = 2000


def committed_document_path(service: str) -> Path:
    """``contracts/openapi/<service>.json`` (beside contracts/events): the copy the gateway
    merges into the platform's document; ``make openapi`` writes it, the conformance test
    fails while it differs from what the code generates."""
    return Path(settings.SERVICEKIT["CONTRACTS_DIR"]).parent / "openapi" / f"{service}.json"


def generate_document(urlconf: str | None = None) -> dict[str, Any]:
    """The service's OpenAPI document, as ``/api/schema/`` serves it (``?format=json``)."""
    generator = SchemaGenerator(urlconf=urlconf or settings.ROOT_URLCONF)
    with GENERATOR_STATS.silence():  # the conformance test reports warnings, once
        document = generator.get_schema(request=None, public=True)
    # What a client receives: JSON types only (drf-spectacular leaves lazy strings, tuples…).
    return json.loads(json.dumps(document, default=str))


class _AnsweredRequest(DjangoOpenAPIRequest):
    """The request as openapi-core needs it to find the operation of a response: its method and
    route. Checking a response reads neither its body (a view may have consumed the stream) nor
    its headers (a test may send one werkzeug refuses, such as a value with a newline)."""

    body = b""

    def __init__(self, request: Any) -> None:
        self.request = request
        match = request.resolver_match
        self.parameters = RequestParameters(path=(match.kwargs if match else {}))


@cache
def _openapi(urlconf: str) -> OpenAPI:
    return OpenAPI.from_dict(generate_document(urlconf))


def check_response(response: HttpResponseBase) -> None:
    """Raise ``AssertionError`` if ``response`` (from Django's test client) answers a documented
    operation in a way the service's document does not describe."""
    request = getattr(response, "wsgi_request", None)
    if request is None or response.status_code >= 500 or not isinstance(response, HttpResponse):
        return  # a stream (a file, server-sent events) is not read here: it may never end
    urlconf = getattr(request, "urlconf", None) or settings.ROOT_URLCONF
    errors = list(
        _openapi(urlconf).iter_response_errors(_AnsweredRequest(request), DjangoOpenAPIResponse(response))
    )
    problems = [error for error in errors if not isinstance(error, PathError)]  # undocumented route
    if problems:
        raise AssertionError(
            f"{request.method} {request.get_full_path()} answered {response.status_code}, which does not "
            f"match the service's OpenAPI document: {'; '.join(_describe(p) for p in problems)}\n"
            f"body: {_body(response)}"
        )


def _describe(error: Exception) -> str:
    """openapi-core's error, or the JSON Schema errors underneath it with where they are."""
    found = []
    cause: BaseException | None = error
    while cause is not None:
        for schema_error in getattr(cause, "schema_errors", ()):
            where = "/".join(str(part) for part in schema_error.absolute_path) or "the body"
            found.append(f"at {where}: {schema_error.message}")
        cause = cause.__cause__
    return f"{type(error).__name__}: {'; '.join(found) if found else error}"


def _body(response: HttpResponseBase) -> str:
    content = getattr(response, "content", b"")
    text = content.decode(errors="replace") if isinstance(content, bytes) else str(content)
    return text if len(text) <= MAX_BODY_IN_MESSAGE else text[:MAX_BODY_IN_MESSAGE] + "…"
