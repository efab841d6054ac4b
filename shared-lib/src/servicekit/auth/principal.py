"""The authenticated caller: built from a verified token or an API key, never from a DB row."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

AuthMethod = Literal["jwt", "api_key"]
STAFF_ROLES = frozenset({"staff", "admin"})


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling. Quacks enough like ``request.user`` for DRF (permissions, throttles)."""

    id: str
    roles: frozenset[str] = frozenset()
    scopes: frozenset[str] = frozenset()
    auth_method: AuthMethod = "jwt"
    # Read-only: one Principal is shared by every request that presents the same token.
    claims: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_principal = True  # told apart from Django users without importing this module

    def __post_init__(self) -> None:
        object.__setattr__(self, "roles", frozenset(self.roles))
        object.__setattr__(self, "scopes", frozenset(self.scopes))
        object.__setattr__(self, "claims", MappingProxyType(dict(self.claims)))

    def __reduce__(self):  # mappingproxy cannot be pickled or deep-copied; the dict can
        return (
            type(self),
            (self.id, self.roles, self.scopes, self.auth_method, dict(self.claims)),
        )

    def __str__(self) -> str:
        return self.id

    @classmethod
    def from_claims(cls, claims: Mapping[str, Any], auth_method: AuthMethod = "jwt") -> Principal:
        """``roles`` is a list; ``scope`` an OAuth-style space-separated string."""
        return cls(
            id=str(claims["sub"]),
            roles=frozenset(_strings(claims.get("roles"))),
            scopes=frozenset(str(claims.get("scope") or "").split()),
            auth_method=auth_method,
            claims=claims,
        )

    @property
    def pk(self) -> str:
        return self.id

    @property
    def is_staff(self) -> bool:
        return not self.roles.isdisjoint(STAFF_ROLES)

    def has_role(self, *roles: str) -> bool:
        """True if the principal holds ANY of ``roles``."""
        return not self.roles.isdisjoint(roles)

    def has_scope(self, *scopes: str) -> bool:
        """True if the principal holds ALL of ``scopes`` (OAuth semantics)."""
        return self.scopes.issuperset(scopes)


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, list | tuple | set | frozenset):
        return (str(item) for item in value)
    return ()
