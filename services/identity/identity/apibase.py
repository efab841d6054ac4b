"""identity's own API base (the shared ones, PublicApi, InternalApi and StrictSerializer, are
in servicekit.api)."""

from __future__ import annotations

from rest_framework.views import APIView

from identity.authentication import IdentityJWTAuthentication


class UserSessionApi(APIView):
    """Endpoints that manage the account's own credentials take a user's access token only:
    an API key must not be able to mint more keys or change the password."""

    authentication_classes = [IdentityJWTAuthentication]
