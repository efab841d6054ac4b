"""Django-level error views (outside DRF) that answer with the envelope."""

from __future__ import annotations

import sys

from django.db.utils import InterfaceError, OperationalError
from django.http import JsonResponse

from servicekit.envelope.errors import envelope_error
from servicekit.envelope.meta import build_meta


def error_response(status: int, code: str, message: str, details=None, headers=None) -> JsonResponse:
    body = {**envelope_error(code, message, details), "meta": build_meta()}
    response = JsonResponse(body, status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def bad_request(request, exception=None):
    return error_response(400, "bad_request", "The request could not be understood.")


def permission_denied(request, exception=None):
    return error_response(403, "permission_denied", "You do not have permission to do this.")


def not_found(request, exception=None):
    return error_response(404, "not_found", "The requested resource was not found.")


# How long a client is asked to wait when the service's database cannot be reached.
DATABASE_RETRY_AFTER_SECONDS = 2


def server_error(request):
    """Django calls it while handling the exception (``sys.exc_info()`` names it): a database
    that cannot be reached (refused, dropped or failed connections) is the service being
    unavailable for a moment, a 503 the client may retry, not a bug's 500."""
    if isinstance(sys.exc_info()[1], OperationalError | InterfaceError):
        return error_response(
            503,
            "upstream_unavailable",
            "The service cannot reach its database right now; try again shortly.",
            {"dependency": "database"},
            headers={"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)},
        )
    return error_response(500, "internal_error", "An unexpected error occurred.")
