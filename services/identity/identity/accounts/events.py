"""The ``data`` of every account event identity publishes (schemas in
contracts/events/identity.user.*.v1.json).

Events carry no password material; the only secrets are the one-time links messaging has to
email, which is what those events are for.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from identity.accounts.models import User
from identity.accounts.onetime import IssuedLink


def user_data(user: User) -> dict[str, Any]:
    return {
        "user_id": str(user.pk),
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "language": user.language,
        "roles": list(user.roles),
        "is_active": user.is_active,
        "email_verified": user.email_verified,
    }


def _link(prefix: str, link: IssuedLink | None) -> dict[str, Any]:
    return {
        f"{prefix}_url": link.url if link else None,
        f"{prefix}_token": link.token if link else None,
        f"{prefix}_expires_at": link.expires_at.isoformat() if link else None,
    }


def user_registered(user: User, *, verification: IssuedLink | None) -> dict[str, Any]:
    return {**user_data(user), **_link("verification", verification)}


def registration_attempted(user: User) -> dict[str, Any]:
    # Only what the owner's "someone tried to register with your address" email needs.
    data = user_data(user)
    return {field: data[field] for field in ("user_id", "email", "first_name", "last_name")}


def email_verification_requested(user: User, *, verification: IssuedLink) -> dict[str, Any]:
    return {**user_data(user), **_link("verification", verification)}


def user_updated(user: User, *, changed: Iterable[str]) -> dict[str, Any]:
    return {**user_data(user), "changed": sorted(changed)}


def user_deactivated(user: User, *, api_key_prefixes: list[str]) -> dict[str, Any]:
    # The prefixes let consumers drop cached API-key answers of this user at once.
    return {"user_id": str(user.pk), "email": user.email, "api_key_prefixes": api_key_prefixes}


def password_reset_requested(user: User, *, reset: IssuedLink) -> dict[str, Any]:
    return {
        "user_id": str(user.pk),
        "email": user.email,
        "first_name": user.first_name,
        "language": user.language,
        **_link("reset", reset),
    }
