"""Which scopes an API key may carry: an allowlist per role of the key's owner.

A key carries its owner's current roles plus the scopes chosen when it was made; services
check scopes with ``HasScope``. Scopes may only *narrow* what a key can do, so a key can get
only scopes that belong to one of its owner's roles: a customer cannot mint a key with a
vendor's ``catalog:write`` or a staff ``users:*`` scope, whatever the name looks like.

Scopes are ``<area>:<action>``, the areas being the platform's public APIs
(ARCHITECTURE.md section 4). A role's list includes the lists of the roles below it:

- ``customer``: read the catalog; their own cart, orders, payments, builds and messages;
- ``vendor``: also manage catalog entries and read analytics (their sales);
- ``staff``: also read and manage users and every order (``users:*``, ``orders:manage``);
- ``admin``: also ``admin`` (platform administration).

To introduce a scope, add it here (with the role that may grant it) before a service checks it.
"""

from __future__ import annotations

from collections.abc import Iterable

from identity.accounts.models import Role

CUSTOMER_SCOPES = frozenset(
    {
        "catalog:read",
        "cart:read",
        "cart:write",
        "orders:read",
        "orders:write",
        "payments:read",
        "payments:write",
        "builds:read",
        "builds:write",
        "messaging:read",
        "messaging:write",
    }
)
VENDOR_SCOPES = CUSTOMER_SCOPES | {"catalog:write", "analytics:read"}
STAFF_SCOPES = VENDOR_SCOPES | {"users:read", "users:write", "orders:manage"}
ADMIN_SCOPES = STAFF_SCOPES | {"admin"}

SCOPES_BY_ROLE: dict[str, frozenset[str]] = {
    Role.CUSTOMER.value: CUSTOMER_SCOPES,
    Role.VENDOR.value: VENDOR_SCOPES,
    Role.STAFF.value: STAFF_SCOPES,
    Role.ADMIN.value: ADMIN_SCOPES,
}


def scopes_allowed(roles: Iterable[str]) -> frozenset[str]:
    """Every scope a key of someone holding ``roles`` may carry (an unknown role grants none)."""
    allowed: frozenset[str] = frozenset()
    for role in roles:
        allowed |= SCOPES_BY_ROLE.get(role, frozenset())
    return allowed


def scopes_not_allowed(scopes: Iterable[str], roles: Iterable[str]) -> list[str]:
    """The requested scopes the roles do not allow, sorted (empty: all allowed)."""
    return sorted(set(scopes) - scopes_allowed(roles))
