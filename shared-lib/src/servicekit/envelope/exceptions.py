"""One DRF exception handler turning every error into the error envelope."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error

from servicekit.envelope.errors import ApplicationError, envelope_error
from servicekit.envelope.renderers import ENVELOPED_ATTR

logger = logging.getLogger("servicekit.errors")

# DRF's default codes that we rename to the platform's stable codes.
_RENAMED = {"invalid": "validation_error", "throttled": "rate_limited", "error": "error"}


def _code_for(exc: exceptions.APIException) -> str:
    """The stable code: an explicit one (``AuthenticationFailed(code="token_expired")``) wins."""
    if isinstance(exc, exceptions.ValidationError):
        return "validation_error"
    codes = exc.get_codes()
    code = codes if isinstance(codes, str) else exc.default_code
    return _RENAMED.get(code, code)


def _message_and_details(exc: exceptions.APIException) -> tuple[str, dict[str, Any]]:
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail
        if isinstance(detail, dict):
            return "The request is invalid.", detail
        return "The request is invalid.", {"non_field_errors": detail}
    return str(exc.detail), {}


def envelope_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))

    if isinstance(exc, ApplicationError):
        response = Response(
            envelope_error(exc.code, exc.message, exc.details),
            status=exc.status_code,
            headers=exc.headers,
        )
    elif isinstance(exc, exceptions.APIException):
        message, details = _message_and_details(exc)
        headers: dict[str, str] = {}
        auth_header = getattr(exc, "auth_header", None)  # NotAuthenticated / AuthenticationFailed
        if auth_header:
            headers["WWW-Authenticate"] = auth_header
        wait = getattr(exc, "wait", None)  # Throttled
        if wait is not None:
            headers["Retry-After"] = str(int(wait))
        response = Response(
            envelope_error(_code_for(exc), message, details), status=exc.status_code, headers=headers
        )
    else:
        return None  # unexpected: Django's handler500 answers with the envelope and logs it

    if response.status_code >= status.HTTP_500_INTERNAL_SERVER_ERROR:
        logger.error("request failed: %s", exc)
    setattr(response, ENVELOPED_ATTR, True)
    return response
