"""Which scopes an API key may carry: those the platform defines (``servicekit.auth.scopes``,
where every route declares the one it needs) that one of the owner's roles may grant.

A key carries its owner's *current* roles (introspection answers with them) plus the scopes
chosen when it was made, and every service checks both: a scope only ever narrows what the
owner may do by role, so a key can never do what its owner could not. Granting is still
limited by role, so that a customer cannot mint a key whose scope no customer could use
(``users:admin``), however its name reads.

A key needs at least one scope: it may call exactly the operations whose scope it carries, so
a key without any could call nothing.
"""

from __future__ import annotations

from collections.abc import Iterable

from servicekit.auth.scopes import SCOPES, scopes_grantable


def scopes_not_allowed(scopes: Iterable[str], roles: Iterable[str]) -> list[str]:
    """The requested scopes the roles do not allow, sorted (empty: all allowed)."""
    return sorted(set(scopes) - scopes_grantable(roles))


def unknown_scopes(scopes: Iterable[str]) -> list[str]:
    return sorted(set(scopes) - set(SCOPES))
