"""Changes to what lets a user in (their roles, whether the account is active, their password),
each together with what it ends: the user's sessions (``identity.tokens``), other services'
cached answers for their API keys (``identity.apikeys``), their failed sign-ins
(``identity.logins``).

The dependency runs one way: tokens, API keys and logins build on accounts (the ``User``), and
this app builds on all four; accounts never reaches back. Only the API, the Django admin and
``manage.py createadmin`` call these services.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from identity.accounts import events
from identity.accounts.models import OneTimeToken, Role, User, normalize_email
from identity.accounts.onetime import invalid_link, one_time_token_consume
from identity.accounts.services import (
    STAFF_EDITABLE_FIELDS,
    canonical_roles,
    password_validate,
    user_changes_save,
    user_create,
    user_update_check,
)
from identity.apikeys.selectors import api_key_active_prefixes
from identity.logins import lockout
from identity.tokens.models import RevocationReason
from identity.tokens.services import user_tokens_revoke_all
from servicekit.events import publish


# -- staff changes ---------------------------------------------------------------------------
@transaction.atomic
def user_update(*, user: User, actor: User | None, **changes: Any) -> User:
    """Staff changes (``actor`` None is the system, e.g. ``manage.py createadmin``).

    Deactivating signs the user out everywhere and publishes ``identity.user.deactivated``
    (with their API keys' prefixes); taking a role away signs them out too."""
    unknown = set(changes) - STAFF_EDITABLE_FIELDS
    if unknown:
        raise ValidationError({field: ["This field cannot be changed."] for field in sorted(unknown)})
    if "roles" in changes:
        changes["roles"] = canonical_roles(changes["roles"])
    user_update_check(user=user, actor=actor, changes=changes)
    was_active, had_roles = user.is_active, set(user.roles)
    user = user_changes_save(user=user, changes=changes)
    if was_active and not user.is_active:
        user_tokens_revoke_all(user=user, reason=RevocationReason.DEACTIVATED)
        publish(
            "identity.user.deactivated",
            subject=str(user.pk),
            data=events.user_deactivated(user, api_key_prefixes=api_key_active_prefixes(user=user)),
        )
    elif had_roles - set(user.roles):
        # Tokens (and cached API-key answers) name the roles they were issued with: a role taken
        # away must not live on in them. A role added needs no sign-out: it arrives with the
        # next token.
        user_tokens_revoke_all(
            user=user,
            reason=RevocationReason.ROLES_CHANGED,
            api_key_prefixes=api_key_active_prefixes(user=user),
        )
    return user


def user_activate(*, user: User, actor: User | None) -> User:
    return user_update(user=user, actor=actor, is_active=True)


def user_deactivate(*, user: User, actor: User | None) -> User:
    return user_update(user=user, actor=actor, is_active=False)


def user_roles_set(*, user: User, actor: User | None, roles: list[str]) -> User:
    return user_update(user=user, actor=actor, roles=roles)


# -- passwords ---------------------------------------------------------------------------------
@transaction.atomic
def user_password_set(*, user: User, password: str, reason: str, field: str = "password") -> User:
    """Set a new password and sign the user out everywhere."""
    password_validate(password, user=user, field=field)
    user.set_password(password)
    user.save(update_fields=["password", "updated_at"])
    user_tokens_revoke_all(user=user, reason=reason)
    return user


def user_password_change(*, user: User, current_password: str, new_password: str) -> User:
    """The signed-in user changes their password; the current one is required."""
    attempt = lockout.attempt_begin(email=user.email, ip=None)
    if not user.check_password(current_password):
        # Counts like a failed sign-in: a stolen access token must not allow guessing.
        attempt.failed()
        raise ValidationError({"current_password": ["The current password is incorrect."]})
    attempt.succeeded()
    return user_password_set(
        user=user, password=new_password, reason=RevocationReason.PASSWORD_CHANGED, field="new_password"
    )


@transaction.atomic
def password_reset_confirm(*, token: str, new_password: str) -> User:
    """The emailed link's token (``accounts.services.password_reset_request``) sets a new password."""
    user = one_time_token_consume(raw=token, purpose=OneTimeToken.Purpose.PASSWORD_RESET)
    if not user.is_active:
        raise invalid_link()
    user = user_password_set(
        user=user, password=new_password, reason=RevocationReason.PASSWORD_RESET, field="new_password"
    )
    lockout.reset(email=user.email)  # the owner proved control of the mailbox
    return user


# -- operations ------------------------------------------------------------------------------
@transaction.atomic
def admin_user_ensure(*, email: str, password: str) -> tuple[User, bool]:
    """Create or update an active, verified admin (``manage.py createadmin``, idempotent)."""
    user = User.objects.select_for_update().filter(email=normalize_email(email)).first()
    if user is None:
        return user_create(email=email, password=password, roles=[Role.ADMIN], email_verified=True), True
    roles = user.roles if Role.ADMIN in user.roles else [*user.roles, Role.ADMIN]
    user = user_update(user=user, actor=None, roles=roles, is_active=True, email_verified=True)
    if not user.check_password(password):
        user = user_password_set(user=user, password=password, reason=RevocationReason.PASSWORD_CHANGED)
    lockout.reset(email=user.email)
    return user, False
