"""What every messaging API class shares: who the caller is, and the API-key scope it needs.

Each API class that accepts API keys names the one scope a key needs (``api_key_scope``:
``messaging:read`` to read, ``messaging:send`` to send and to manage sessions). Bearer tokens
from a sign-in are not narrowed by scopes; an API key is refused (403 ``insufficient_scope``)
without the scope, and everywhere when its class declares none.
"""

from __future__ import annotations

import uuid

from rest_framework.exceptions import PermissionDenied
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.views import APIView

from servicekit.auth.permissions import principal_of

READ = "messaging:read"
SEND = "messaging:send"
INSUFFICIENT_SCOPE = "insufficient_scope"


def user_id_of(request: Request) -> uuid.UUID:
    """The caller's user id (identity's ``sub``, a UUID)."""
    try:
        return uuid.UUID(str(request.user.id))
    except (AttributeError, ValueError):
        raise PermissionDenied("These credentials do not belong to a user.") from None


class ApiKeyScope(BasePermission):
    """An API key must carry the scope the view declares in ``api_key_scope``."""

    error_codes = {403: (INSUFFICIENT_SCOPE,)}  # in the OpenAPI document (servicekit.openapi)

    def has_permission(self, request: Request, view: APIView) -> bool:
        principal = principal_of(request)
        if principal is None or principal.auth_method != "api_key":
            return True
        scope = getattr(view, "api_key_scope", None)
        if scope is None:
            raise PermissionDenied(
                "This operation cannot be called with an API key.", code=INSUFFICIENT_SCOPE
            )
        if not principal.has_scope(scope):
            raise PermissionDenied(f"This API key lacks the scope {scope!r}.", code=INSUFFICIENT_SCOPE)
        return True


class UserApi(APIView):
    """A signed-in user (token or API key) acting on their own messaging data."""

    permission_classes = [IsAuthenticated, ApiKeyScope]
    api_key_scope: str | None = None


class JsonErrorsNegotiation(BaseContentNegotiation):
    """For views that answer with a file (a QR image): the file is a plain response whatever
    the client accepts, and an error is always the JSON envelope (never a 406 because the
    client asked for ``image/png`` only)."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None
