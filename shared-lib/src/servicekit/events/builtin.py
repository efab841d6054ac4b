"""Handlers every service registers (``BUILTIN_HANDLERS``): credentials identity revoked stop
working here without waiting for caches to expire.

They run in the service's event consumer, a process of its own, so they act only through
state every web process reads: the Django cache (Redis) for API-key answers, and the Redis
revocation list of :mod:`servicekit.auth.revocations` that each web process pulls every
``REVOCATION_SYNC_SECONDS``. The web processes' in-memory cache of verified access tokens is
not touched from here (it cannot be, and need not be): every request checks the revocation
list, cached token or not, and a cached principal is exactly what the token's own claims say.
"""

from __future__ import annotations

from servicekit.events.envelope import Event
from servicekit.events.registry import subscribe


def forget_revoked_api_key(event: Event) -> None:
    from servicekit.auth import forget_api_key

    forget_api_key(event.data["prefix"])


def forget_revoked_tokens(event: Event) -> None:
    """Every web process of this service refuses the user's older access tokens within seconds,
    and asks identity afresh about the user's API keys (whose answers carry the user's roles,
    which may just have changed)."""
    from datetime import datetime

    from servicekit.auth import forget_api_key
    from servicekit.auth.revocations import revocations

    revoked_at = datetime.fromisoformat(event.data["revoked_at"].replace("Z", "+00:00"))
    revocations.revoke(event.data["user_id"], revoked_at.timestamp())
    for prefix in event.data.get("api_key_prefixes", []):  # absent from older events
        forget_api_key(prefix)


def forget_deactivated_user_credentials(event: Event) -> None:
    """A deactivated user's API keys stop working here at once (identity announces the end of
    the user's access tokens separately, with ``identity.user.tokens_revoked``)."""
    from servicekit.auth import forget_api_key

    for prefix in event.data["api_key_prefixes"]:
        forget_api_key(prefix)


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
        reads=["user_id", "revoked_at", "api_key_prefixes?"],
        name="servicekit.forget_revoked_tokens",
    ),
    subscribe(
        "identity.user.deactivated",
        forget_deactivated_user_credentials,
        reads=["api_key_prefixes"],
        name="servicekit.forget_deactivated_user_credentials",
    ),
)
