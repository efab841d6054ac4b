"""The protocol's error answers: ``{"status", "error-type", "message"}`` (state errors add
``current-state`` and ``expected-state``), from the domain's errors."""

from __future__ import annotations

from typing import Any

from django.http import JsonResponse

from builds.builds.errors import WrongState
from builds.tokens.claims import TokenInsufficient
from builds.tokens.errors import TokenInvalid
from servicekit.envelope.errors import ApplicationError, NotFound

STATE_ERROR_TYPES = {"repo_state": "wrong-repo-state", "published_state": "wrong-published-state"}


class ProtocolError(ApplicationError):
    """A 400 ``generic-error`` raised by the protocol layer itself (a body it cannot read)."""

    code = "generic-error"


def error_body(error: ApplicationError) -> tuple[int, dict[str, Any]]:
    """The protocol's status and body for a domain error: 401 invalid-token, 403
    token-insufficient, 404 not-found, 400 wrong-repo-state / wrong-published-state (with the
    states), any other refusal 400 generic-error."""
    if isinstance(error, TokenInvalid):
        status, kind = 401, "invalid-token"
    elif isinstance(error, TokenInsufficient):
        status, kind = 403, "token-insufficient"
    elif isinstance(error, NotFound):
        status, kind = 404, "not-found"
    elif isinstance(error, WrongState):
        status, kind = 400, STATE_ERROR_TYPES.get(error.details.get("field"), "generic-error")
    else:
        status, kind = 400, "generic-error"
    body: dict[str, Any] = {"status": status, "error-type": kind, "message": error.message}
    if isinstance(error, WrongState):
        body["current-state"] = error.details.get("current_state")
        body["expected-state"] = error.details.get("expected_state")
    return status, body


def error_response(error: ApplicationError) -> JsonResponse:
    status, body = error_body(error)
    response = JsonResponse(body, status=status)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="flat-manager"'
    return response


def plain_error(status: int, kind: str, message: str) -> JsonResponse:
    return JsonResponse({"status": status, "error-type": kind, "message": message}, status=status)
