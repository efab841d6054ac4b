"""Who acts on a build: an identity user (the REST API, the console) or a build token (the
flat-manager protocol). Stored on the build as its creator and carried by its events."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from builds.tokens.claims import Claims

SYSTEM = "system"


@dataclass(frozen=True, slots=True)
class Actor:
    user_id: str | None = None  # identity user id (for a token: its issuer, when known)
    token_sub: str | None = None  # set when acting with a build token
    name: str = ""

    @classmethod
    def from_claims(cls, claims: Claims) -> Actor:
        return cls(user_id=claims.issued_by, token_sub=claims.sub, name=claims.name)

    @classmethod
    def from_user(cls, user_id: str, name: str = "") -> Actor:
        return cls(user_id=str(user_id), name=name)

    @property
    def label(self) -> str:
        """How the history names it: ``token:<name>``, ``user:<id>`` or ``system``."""
        if self.token_sub is not None:
            return f"token:{self.name or self.token_sub or '-'}"[:255]
        if self.user_id:
            return f"user:{self.user_id}"
        return SYSTEM


SYSTEM_ACTOR = Actor()


def creator_of(build: Any) -> dict[str, Any]:
    """The ``creator`` member of every builds event."""
    return {
        "user_id": build.creator_user_id or None,
        "token_sub": build.creator_token_sub or None,
        "name": build.creator_name,
    }
