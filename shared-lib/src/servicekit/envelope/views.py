"""Django-level error views (outside DRF) that answer with the envelope."""

from __future__ import annotations

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


def server_error(request):
    return error_response(500, "internal_error", "An unexpected error occurred.")
