"""The local shadow of an identity staff member: what Django's admin needs, and nothing more."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db import transaction
from django.utils.crypto import get_random_string

if TYPE_CHECKING:
    from django.contrib.auth.models import _User  # django-stubs: the AUTH_USER_MODEL

STAFF_ROLES = frozenset({"staff", "admin"})
RANDOM_PASSWORD_CHARS = 40


def _identity_id(value: Any) -> str | None:
    try:
        return str(uuid.UUID(str(value)))
    except (TypeError, ValueError, AttributeError):
        return None


def _password_prefix(identity_id: str) -> str:
    return f"{UNUSABLE_PASSWORD_PREFIX}identity:{identity_id}:"


def _shadow_password(identity_id: str | None) -> str:
    """An unusable password (it starts with ``!``, as ``set_unusable_password()``'s do).

    It names identity's user id, so ``identity.user.tokens_revoked`` (which names only the
    id) finds the shadow, and ends in random characters: Django derives the session's auth
    hash from the password field, so a new one ends every admin session of the shadow.
    """
    prefix = _password_prefix(identity_id) if identity_id else UNUSABLE_PASSWORD_PREFIX
    return prefix + get_random_string(RANDOM_PASSWORD_CHARS)


def _flags(roles: Iterable[str], *, is_active: bool) -> dict[str, bool]:
    roles = set(roles)
    return {
        "is_active": is_active,
        "is_staff": is_active and not roles.isdisjoint(STAFF_ROLES),
        "is_superuser": is_active and "admin" in roles,
    }


@transaction.atomic
def shadow_user_sync(identity_user: dict[str, Any]) -> _User:
    """Create or refresh the shadow of a staff member identity just vouched for.

    Keyed by email (identity's login, immutable there); the password is unusable, so the
    shadow can only ever sign in through identity. It carries identity's user id (see
    :func:`_shadow_password`), set here on the shadow's first sign-in (or its first one since
    shadows carried it).
    """
    user_model = get_user_model()
    email = str(identity_user["email"]).lower()
    lookup: dict[str, Any] = {user_model.USERNAME_FIELD: email}
    user, _ = user_model._default_manager.update_or_create(
        **lookup,
        defaults={
            "email": email,
            "first_name": identity_user.get("first_name") or "",
            "last_name": identity_user.get("last_name") or "",
            **_flags(identity_user.get("roles") or [], is_active=True),
        },
    )
    identity_id = _identity_id(identity_user.get("id"))
    unmarked = identity_id is not None and not user.password.startswith(_password_prefix(identity_id))
    if user.has_usable_password() or unmarked:
        user.password = _shadow_password(identity_id)
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


def shadow_user_sign_out(*, identity_id: str) -> int:
    """End every admin session of the shadow of identity's user ``identity_id`` (log out
    everywhere, password change or reset, deactivation): a new unusable password changes the
    session auth hash Django checks on each request. Returns how many shadows were found."""
    identity_id_ = _identity_id(identity_id)
    if identity_id_ is None:
        return 0
    user_model = get_user_model()
    shadows = user_model._default_manager.filter(password__startswith=_password_prefix(identity_id_))
    count = 0
    for user in shadows:
        user.password = _shadow_password(identity_id_)
        user.save(update_fields=["password"])
        count += 1
    return count
