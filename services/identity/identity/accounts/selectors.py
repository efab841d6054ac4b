from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db.models import Q, QuerySet
from rest_framework.exceptions import AuthenticationFailed

from identity.accounts.errors import AccountErrorCode
from identity.accounts.models import User
from servicekit.auth import Principal
from servicekit.envelope.errors import NotFound

USER_ORDERINGS = ("email", "created_at", "last_login", "last_name")


def user_get(*, user_id: UUID | str) -> User:
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        raise NotFound("User not found.")
    return user


# What user_for_principal answers with, for the error_codes of the views that call it.
CALLER_ERROR_CODES = {401: [AccountErrorCode.ACCOUNT_INACTIVE]}


def user_for_principal(principal: Principal) -> User:
    """The caller's own account. The token is valid, but identity knows more: a user who was
    deactivated since it was issued is refused at identity at once, not after expiry."""
    user = User.objects.filter(pk=principal.id, is_active=True).first()
    if user is None:
        raise AuthenticationFailed(
            "This account no longer exists or is deactivated.", code=AccountErrorCode.ACCOUNT_INACTIVE
        )
    return user


def user_list(*, filters: dict[str, Any] | None = None) -> QuerySet[User]:
    """Staff search: ``search`` (email or name), ``role``, ``is_active``, ``email_verified``,
    ``ordering`` (one of USER_ORDERINGS, ``-`` for descending)."""
    filters = filters or {}
    users = User.objects.all()
    if search := (filters.get("search") or "").strip():
        users = users.filter(
            Q(email__icontains=search) | Q(first_name__icontains=search) | Q(last_name__icontains=search)
        )
    if filters.get("role"):
        users = users.filter(roles__contains=[filters["role"]])
    for flag in ("is_active", "email_verified"):
        if filters.get(flag) is not None:
            users = users.filter(**{flag: filters[flag]})
    ordering = filters.get("ordering") or "email"
    if ordering.lstrip("-") not in USER_ORDERINGS:
        ordering = "email"
    # The primary key breaks ties so pages never overlap.
    return users.order_by(ordering, "pk")
