"""The local shadow of an identity staff member: what Django's admin needs, and nothing more."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction

STAFF_ROLES = frozenset({"staff", "admin"})


def _flags(roles: Iterable[str], *, is_active: bool) -> dict[str, bool]:
    roles = set(roles)
    return {
        "is_active": is_active,
        "is_staff": is_active and not roles.isdisjoint(STAFF_ROLES),
        "is_superuser": is_active and "admin" in roles,
    }


@transaction.atomic
def shadow_user_sync(identity_user: dict[str, Any]) -> AbstractBaseUser:
    """Create or refresh the shadow of a staff member identity just vouched for.

    Keyed by email (identity's login, immutable there); the password is unusable, so the
    shadow can only ever sign in through identity.
    """
    user_model = get_user_model()
    email = str(identity_user["email"]).lower()
    user, _ = user_model._default_manager.update_or_create(
        **{user_model.USERNAME_FIELD: email},
        defaults={
            "email": email,
            "first_name": identity_user.get("first_name") or "",
            "last_name": identity_user.get("last_name") or "",
            **_flags(identity_user.get("roles") or [], is_active=True),
        },
    )
    if user.has_usable_password():
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def _shadows(email: str):
    user_model = get_user_model()
    return user_model._default_manager.filter(**{user_model.USERNAME_FIELD: email.lower()})


def shadow_user_update(*, email: str, roles: Iterable[str], is_active: bool) -> int:
    """Apply identity's current roles and state to an existing shadow (never creates one).

    The admin checks ``is_active and is_staff`` on every request, so a demoted or deactivated
    staff member loses an open admin session at once."""
    return _shadows(email).update(**_flags(roles, is_active=is_active))


def shadow_user_deactivate(*, email: str) -> int:
    return _shadows(email).update(**_flags((), is_active=False))
