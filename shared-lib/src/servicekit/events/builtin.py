"""Handlers every service registers (``BUILTIN_HANDLERS``): dropping cached credentials
when identity revokes them."""

from __future__ import annotations

from servicekit.events.envelope import Event
from servicekit.events.registry import subscribe


def forget_revoked_api_key(event: Event) -> None:
    from servicekit.auth import forget_api_key

    forget_api_key(event.data["prefix"])


def forget_revoked_tokens(event: Event) -> None:
    """Every web process of this service refuses the user's older tokens within seconds."""
    from datetime import datetime

    from servicekit.auth import forget_verified_tokens
    from servicekit.auth.revocations import revocations

    revoked_at = datetime.fromisoformat(event.data["revoked_at"].replace("Z", "+00:00"))
    revocations.revoke(event.data["user_id"], revoked_at.timestamp())
    forget_verified_tokens(event.data["user_id"])


def forget_deactivated_user_credentials(event: Event) -> None:
    """A deactivated user's API keys and tokens stop working here without waiting for caches to expire."""
    from servicekit.auth import forget_api_key, forget_verified_tokens

    for prefix in event.data["api_key_prefixes"]:
        forget_api_key(prefix)
    forget_verified_tokens(event.data["user_id"])


# Explicit names: they key the inbox in every service, so they must survive refactoring.
BUILTIN_HANDLERS = (
    subscribe(
        "identity.api_key.revoked",
        forget_revoked_api_key,
        reads=["prefix"],
        name="servicekit.forget_revoked_api_key",
    ),
    subscribe(
        "identity.user.tokens_revoked",
        forget_revoked_tokens,
        reads=["user_id", "revoked_at"],
        name="servicekit.forget_revoked_tokens",
    ),
    subscribe(
        "identity.user.deactivated",
        forget_deactivated_user_credentials,
        reads=["user_id", "api_key_prefixes"],
        name="servicekit.forget_deactivated_user_credentials",
    ),
)
