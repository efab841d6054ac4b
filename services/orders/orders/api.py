"""Small helpers every API of the service uses."""

from __future__ import annotations

from rest_framework.request import Request

from servicekit.auth import Principal, user_id_of

# What user_id_of and lister_of answer with, for the error_codes of the views that call them.
CALLER_ERROR_CODES = {403: ["permission_denied"]}


def principal_of(request: Request) -> Principal:
    return request.user


def lister_of(request: Request) -> Principal:
    """The caller of a list endpoint: staff, or a user (whose own rows are listed).

    A token whose subject is not a user id lists nothing of its own: 403, as everywhere else,
    not a validation error about a UUID the caller never sent.
    """
    principal = principal_of(request)
    if not principal.is_staff:
        user_id_of(request)
    return principal
