"""The Django authentication backend of every service's admin (identity excepted: it has the
users). Configure with ``AUTHENTICATION_BACKENDS = ["servicekit.adminauth.backends.IdentityStaffBackend"]``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from servicekit.adminauth.client import staff_login
from servicekit.adminauth.shadow import STAFF_ROLES, shadow_user_sync

if TYPE_CHECKING:
    from django.contrib.auth.models import _User  # django-stubs: the AUTH_USER_MODEL


class IdentityStaffBackend(ModelBackend):
    """Asks identity; never checks a local password. Permissions come from ModelBackend
    (superuser for identity admins; groups and permissions granted locally for staff)."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> _User | None:
        if not username or password is None:
            return None
        answer = staff_login(email=username, password=password, request=request)
        if answer is None or not answer.get("email") or STAFF_ROLES.isdisjoint(answer.get("roles") or []):
            return None  # identity vouches for staff only; anything else is refused here too
        user = shadow_user_sync(answer)
        return user if self.user_can_authenticate(user) else None
