"""identity's own Django-admin sign-in: the same rules as the API (lockout, history, staff only)."""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend

from identity.accounts.models import User
from identity.logins.services import LoginContext, login_authenticate
from servicekit.envelope.errors import ApplicationError


class IdentityAdminBackend(ModelBackend):
    def authenticate(
        self, request, username: str | None = None, password: str | None = None, **kwargs
    ) -> User | None:
        if request is None or not username or password is None:
            return None
        context = LoginContext.from_request(request, channel="admin:identity")
        try:
            return login_authenticate(email=username, password=password, context=context, require_staff=True)
        except ApplicationError:
            return None
