"""Event handlers keeping shadow staff users in step with identity. Register them in a
service's ``handlers.py``::

    from servicekit.adminauth.handlers import SHADOW_USER_HANDLERS

    HANDLERS = [*BUILTIN_HANDLERS, *SHADOW_USER_HANDLERS, ...]
"""

from __future__ import annotations

from servicekit.adminauth.shadow import shadow_user_deactivate, shadow_user_sign_out, shadow_user_update
from servicekit.events.envelope import Event
from servicekit.events.registry import subscribe


def update_shadow_on_user_updated(event: Event) -> None:
    data = event.data
    shadow_user_update(email=data["email"], roles=data["roles"], is_active=data["is_active"])


def deactivate_shadow_on_user_deactivated(event: Event) -> None:
    shadow_user_deactivate(email=event.data["email"])


def sign_shadow_out_on_tokens_revoked(event: Event) -> None:
    """Log out everywhere, a password change or reset, deactivation: identity revokes the
    user's tokens, and the user's admin sessions here end too."""
    shadow_user_sign_out(identity_id=event.data["user_id"])


SHADOW_USER_HANDLERS = (
    subscribe("identity.user.updated", update_shadow_on_user_updated, reads=["email", "roles", "is_active"]),
    subscribe("identity.user.deactivated", deactivate_shadow_on_user_deactivated, reads=["email"]),
    subscribe("identity.user.tokens_revoked", sign_shadow_out_on_tokens_revoked, reads=["user_id"]),
)
