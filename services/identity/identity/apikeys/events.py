"""The ``data`` of every API key event identity publishes (schemas in
contracts/events/identity.api_key.*.v1.json)."""

from __future__ import annotations

from typing import Any

from identity.apikeys.models import ApiKey


def api_key_created(api_key: ApiKey) -> dict[str, Any]:
    return {
        "api_key_id": str(api_key.pk),
        "prefix": api_key.prefix,
        "user_id": str(api_key.user_id),
        "name": api_key.name,
        "scopes": list(api_key.scopes),
        "expires_at": api_key.expires_at.isoformat() if api_key.expires_at else None,
    }


def api_key_revoked(api_key: ApiKey) -> dict[str, Any]:
    # servicekit's consumer drops its cached introspection answer for this prefix.
    return {
        "api_key_id": str(api_key.pk),
        "prefix": api_key.prefix,
        "user_id": str(api_key.user_id),
        "revoked_at": api_key.revoked_at.isoformat() if api_key.revoked_at else None,
    }
