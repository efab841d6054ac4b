"""DRF permissions over the :class:`Principal`.

``HasRole``/``HasScope`` are factories returning permission *classes*, so they compose with
DRF's operators::

    permission_classes = [HasRole("staff", "vendor")]
    permission_classes = [HasScope("orders:read") | IsStaff]

API keys need no permission class for their scopes: every API class names the one a key needs
in ``api_key_scope``, which the API-key authentication enforces (``servicekit.auth.scopes``).
``HasScope`` checks the ``scope`` claim of a token itself.
"""

from __future__ import annotations

import hmac
import uuid
from collections.abc import Callable
from typing import Any

from django.conf import settings
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.permissions import BasePermission

from servicekit.auth.principal import Principal


def principal_of(request: Any) -> Principal | None:
    user = getattr(request, "user", None)
    return user if isinstance(user, Principal) else None


def user_id_of(request: Any) -> uuid.UUID:
    """The caller's user id (identity's ``sub``, a UUID); 403 ``permission_denied`` for
    credentials that belong to no user (a service's token)."""
    try:
        return uuid.UUID(str(request.user.id))
    except (AttributeError, ValueError):
        raise PermissionDenied("These credentials do not belong to a user.") from None


def HasRole(*roles: str) -> type[BasePermission]:
    """Allow principals holding ANY of ``roles``; staff/admin pass only if listed."""
    return _principal_permission("HasRole", roles, "one of the", "role", Principal.has_role)


def HasScope(*scopes: str) -> type[BasePermission]:
    """Allow principals holding ALL of ``scopes`` (OAuth semantics)."""
    return _principal_permission("HasScope", scopes, "the", "scope", Principal.has_scope)


def _principal_permission(
    factory: str, names: tuple[str, ...], quantifier: str, noun: str, holds: Callable[..., bool]
) -> type[BasePermission]:
    """The permission class ``factory(*names)``: a principal passes when ``holds(principal,
    *names)``; no one without credentials does."""
    if not names:
        raise ValueError(f"{factory}() needs at least one {noun}")
    required = frozenset(names)

    class Permission(BasePermission):
        message = f"This requires {quantifier} {noun}s: {', '.join(sorted(required))}."

        def has_permission(self, request, view) -> bool:
            principal = principal_of(request)
            return principal is not None and holds(principal, *required)

    Permission.__name__ = Permission.__qualname__ = f"{factory}({', '.join(names)})"
    return Permission


class IsStaff(BasePermission):
    """Principals with the ``staff`` or ``admin`` role."""

    message = "This requires a staff account."

    def has_permission(self, request, view) -> bool:
        principal = principal_of(request)
        return principal is not None and principal.is_staff


class IsOwnerOrStaff(BasePermission):
    """Object access for its owner or staff.

    The owner is read from the attribute named by the view's ``owner_field`` (default
    ``owner_id``; dotted paths such as ``order.customer_id`` follow relations). Someone
    else's object answers 404, not 403, so its existence is not revealed (HTTP contract).
    Because of that it raises instead of returning False: combine it with ``&``, not ``|``.
    """

    default_owner_field = "owner_id"
    error_codes = {404: ("not_found",)}  # someone else's object (servicekit.openapi documents it)

    def has_permission(self, request, view) -> bool:
        return principal_of(request) is not None

    def has_object_permission(self, request, view, obj) -> bool:
        principal = principal_of(request)
        if principal is None:
            return False
        if principal.is_staff:
            return True
        field = getattr(view, "owner_field", self.default_owner_field)
        owner = _resolve(obj, field)
        if owner is not None and str(owner) == principal.id:
            return True
        raise NotFound()


def _resolve(obj: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return obj


class HasInternalToken(BasePermission):
    """Service-to-service endpoints (/internal/): the shared X-Internal-Token is required.

    The gateway answers /internal/ with 404 from the outside; this is the second lock. Views
    using it set ``authentication_classes = []``, so a refusal is a 403, never a 401.
    """

    message = "This endpoint is for platform services only."

    def has_permission(self, request, view) -> bool:
        presented = request.META.get("HTTP_X_INTERNAL_TOKEN", "")
        expected = settings.SERVICEKIT["INTERNAL_API_TOKEN"]
        return bool(presented) and hmac.compare_digest(presented.encode(), expected.encode())
