"""What every messaging API class shares: who the caller is, and the API-key scope it needs.

Each API class that accepts API keys names the one scope a key needs (``api_key_scope``:
``messaging:read`` to read, ``messaging:send`` to send and to manage sessions); servicekit's
API-key authentication enforces it (``servicekit.auth.scopes``), as in every service.
"""

from __future__ import annotations

from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.permissions import IsAuthenticated
from rest_framework.views import APIView

READ = "messaging:read"
SEND = "messaging:send"


class UserApi(APIView):
    """A signed-in user (token or API key) acting on their own messaging data."""

    permission_classes = [IsAuthenticated]
    api_key_scope: str | None = None  # enforced by servicekit's API-key authentication


class JsonErrorsNegotiation(BaseContentNegotiation):
    """For views that answer with a file (a QR image): the file is a plain response whatever
    the client accepts, and an error is always the JSON envelope (never a 406 because the
    client asked for ``image/png`` only)."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None
