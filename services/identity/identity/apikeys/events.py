"""API key events (schemas: contracts/events/identity.api_key.*.v1.json)."""

from __future__ import annotations

from identity.apikeys.models import ApiKey
from servicekit.events import publish


def api_key_created(api_key: ApiKey) -> None:
    publish(
        "identity.api_key.created",
        subject=str(api_key.pk),
        data={
            "api_key_id": str(api_key.pk),
            "prefix": api_key.prefix,
            "user_id": str(api_key.user_id),
            "name": api_key.name,
            "scopes": list(api_key.scopes),
            "expires_at": api_key.expires_at.isoformat() if api_key.expires_at else None,
        },
    )


def api_key_revoked(api_key: ApiKey) -> None:
    # servicekit's consumer drops its cached introspection answer for this prefix.
    publish(
        "identity.api_key.revoked",
        subject=str(api_key.pk),
        data={
            "api_key_id": str(api_key.pk),
            "prefix": api_key.prefix,
            "user_id": str(api_key.user_id),
            "revoked_at": api_key.revoked_at.isoformat() if api_key.revoked_at else None,
        },
    )
