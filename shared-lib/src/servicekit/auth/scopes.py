"""API-key scopes: the platform's list of them, and the one place they are enforced.

Every API class that accepts API keys names the one scope a key needs to call it::

    class ProductCreateApi(APIView):
        api_key_scope = "catalog:write"
        permission_classes = [CanManageProducts]

:class:`~servicekit.auth.authentication.ApiKeyAuthentication` checks it for every request
made with a key, before the view's own permissions run (which still apply: a scope only ever
narrows what the key's owner may do by role). A class that accepts API keys but declares no
scope refuses them all, and ``PlatformConformance.test_api_routes_declare_an_api_key_scope``
fails on it, in every service. Bearer tokens from a sign-in are not narrowed by scopes.

Scopes are ``<context>:<action>``, read/write per bounded context. :data:`SCOPES` lists every
scope a route may declare and a key may carry, with the roles whose holders may grant it;
identity's API-key creation and the docs table in ``docs/api.md`` follow it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request

from servicekit.auth.principal import Principal

SCOPE_ATTRIBUTE = "api_key_scope"
INSUFFICIENT_SCOPE = "insufficient_scope"

EVERYONE = frozenset({"customer", "vendor", "staff", "admin"})
SELLERS = frozenset({"vendor", "staff", "admin"})
STAFF = frozenset({"staff", "admin"})


@dataclass(frozen=True)
class Scope:
    name: str
    description: str
    # Whose keys may carry it: a scope no operation of a role could use is refused at creation.
    grantable_by: frozenset[str]


SCOPES: Mapping[str, Scope] = MappingProxyType(
    {
        scope.name: scope
        for scope in (
            Scope("account:read", "Read your own account and sign-in history.", EVERYONE),
            Scope("account:write", "Change your own profile.", EVERYONE),
            Scope(
                "users:admin",
                "Administer accounts: list and read users, change roles, (de)activate, unlock, "
                "read every sign-in.",
                STAFF,
            ),
            Scope("catalog:read", "Read categories, products, reviews and stock reservations.", EVERYONE),
            Scope(
                "catalog:write",
                "Write to the catalog as your role allows: your reviews; products, stock and images "
                "(vendors, staff); categories and review moderation (staff).",
                EVERYONE,
            ),
            Scope("orders:read", "Read your cart, orders and payments (staff: everyone's).", EVERYONE),
            Scope(
                "orders:write",
                "Change your cart, check out, pay and cancel; staff also ship, complete and retry refunds.",
                EVERYONE,
            ),
            Scope("builds:read", "Read builds, their logs and repositories.", EVERYONE),
            Scope("builds:write", "Create, upload to, commit and publish builds.", EVERYONE),
            Scope("messaging:read", "Read your messaging sessions and messages.", EVERYONE),
            Scope("messaging:send", "Send messages and manage your messaging sessions.", EVERYONE),
            Scope("analytics:read", "Read analytics (vendors: their own sales).", SELLERS),
        )
    }
)


def scopes_grantable(roles: Iterable[str]) -> frozenset[str]:
    """Every scope a key of someone holding ``roles`` may carry (an unknown role grants none)."""
    held = frozenset(roles)
    return frozenset(name for name, scope in SCOPES.items() if not scope.grantable_by.isdisjoint(held))


def declared_scope(view: Any, method: str | None = None) -> str | None:
    """The scope an API key needs for ``view`` (an API class or instance), if it declares one.

    For a URL served by ``servicekit.api.operations()``, the class serving ``method``."""
    operations = getattr(view, "operations", None)
    if isinstance(operations, Mapping) and operations:
        method = (method or "get").lower()
        view = operations.get("get" if method == "head" else method) or next(iter(operations.values()))
    return getattr(view, SCOPE_ATTRIBUTE, None)


def require_api_key_scope(request: Request, principal: Principal) -> None:
    """Refuse (403 ``insufficient_scope``) an API key lacking the scope its view declares.

    Called by the API-key authentication for every request it authenticates, so no view can
    leave it out; a view that declares nothing accepts no key."""
    view = (getattr(request, "parser_context", None) or {}).get("view")
    scope = declared_scope(view, request.method)
    if scope is None:
        raise PermissionDenied("This operation cannot be called with an API key.", code=INSUFFICIENT_SCOPE)
    if not principal.has_scope(scope):
        raise PermissionDenied(f"This API key lacks the scope {scope!r}.", code=INSUFFICIENT_SCOPE)
