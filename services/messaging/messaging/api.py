"""What every messaging API class shares: who the caller is, and the API-key scope it needs.

Each API class that accepts API keys names the one scope a key needs (``api_key_scope``:
``messaging:read`` to read, ``messaging:send`` to send and to manage sessions); servicekit's
API-key authentication enforces it (``servicekit.auth.scopes``), as in every service.
"""

from __future__ import annotations

from rest_framework.permissions import IsAuthenticated
from rest_framework.views import APIView

READ = "messaging:read"
SEND = "messaging:send"


class UserApi(APIView):
    """A signed-in user (token or API key) acting on their own messaging data."""

    permission_classes = [IsAuthenticated]
    api_key_scope: str | None = None  # enforced by servicekit's API-key authentication
