"""Django-level error views (outside DRF) that answer with the envelope."""

from __future__ import annotations

import sys

from django.db.utils import InterfaceError, OperationalError
from django.http import JsonResponse
from kombu.exceptions import OperationalError as BrokerUnavailable

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


# How long a client is asked to wait when the service's database or broker cannot be reached.
RETRY_AFTER_SECONDS = 2


def unreachable_dependency(exc: BaseException | None) -> str | None:
    """``database`` or ``broker`` when ``exc`` says that one cannot be reached, else None."""
    if isinstance(exc, OperationalError | InterfaceError):
        return "database"
    if isinstance(exc, BrokerUnavailable):
        return "broker"
    return None


def server_error(request):
    """Django calls it while handling the exception (``sys.exc_info()`` names it): a database
    or a message broker that cannot be reached (refused, dropped or failed connections) is the
    service being unavailable for a moment, a 503 ``upstream_unavailable`` with ``Retry-After``
    the client may retry, not a bug's 500. servicekit.openapi documents it on every operation."""
    dependency = unreachable_dependency(sys.exc_info()[1])
    if dependency is not None:
        return error_response(
            503,
            "upstream_unavailable",
            f"The service cannot reach its {dependency} right now; try again shortly.",
            {"dependency": dependency},
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    return error_response(500, "internal_error", "An unexpected error occurred.")
