"""Every write to accounts alone: registration, verification, profile, password-reset links.

Changes that also end something in another app (roles taken away, deactivation, a new
password: they sign the user out) are ``identity.access.services``, which builds on this module;
accounts never imports tokens, API keys or logins (they all build on it)."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.hashers import make_password
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from identity.accounts import events
from identity.accounts.errors import AccountErrorCode
from identity.accounts.models import OneTimeToken, Role, User, normalize_email
from identity.accounts.onetime import IssuedLink, one_time_token_consume, one_time_token_issue
from servicekit.envelope.errors import ApplicationError, Conflict
from servicekit.events import publish

STAFF_EDITABLE_FIELDS = frozenset({"first_name", "last_name", "roles", "is_active", "email_verified"})
PROFILE_FIELDS = frozenset({"first_name", "last_name", "language"})
ROLE_ORDER = [role.value for role in Role]


def password_validate(password: str, *, user: User, field: str) -> None:
    """Django's validators; errors are reported against the request field that carried it."""
    try:
        password_validation.validate_password(password, user=user)
    except ValidationError as exc:
        raise ValidationError({field: exc.messages}) from None


def _verification_link(user: User) -> IssuedLink:
    return one_time_token_issue(
        user=user,
        purpose=OneTimeToken.Purpose.EMAIL_VERIFICATION,
        lifetime_seconds=settings.IDENTITY["EMAIL_VERIFICATION_SECONDS"],
        url_template=settings.IDENTITY["EMAIL_VERIFICATION_URL"],
    )


def _cooldown_acquire(purpose: str, email: str) -> bool:
    """False if a message of this kind went to this email a moment ago (no mail bombing)."""
    key = f"cooldown:{purpose}:{hashlib.sha256(email.encode()).hexdigest()}"
    try:
        return cache.add(key, 1, timeout=settings.IDENTITY["EMAIL_COOLDOWN_SECONDS"])
    except Exception:  # Redis down: sending one more email is the lesser evil
        return True


def canonical_roles(roles: list[str]) -> list[str]:
    unknown = set(roles) - set(ROLE_ORDER)
    if unknown or not roles:
        raise ValidationError({"roles": [f"Choose one or more of: {', '.join(ROLE_ORDER)}."]})
    return [role for role in ROLE_ORDER if role in roles]


# -- registration and email verification ----------------------------------------------------
@transaction.atomic
def user_create(
    *,
    email: str,
    password: str,
    first_name: str = "",
    last_name: str = "",
    roles: list[str] | None = None,
    email_verified: bool = False,
) -> User:
    """Create an account and publish ``identity.user.registered`` (with a verification link)."""
    user = User(
        email=normalize_email(email),
        first_name=first_name,
        last_name=last_name,
        roles=canonical_roles(roles or [Role.CUSTOMER]),
        email_verified=email_verified,
    )
    if User.objects.filter(email=user.email).exists():
        raise _email_taken()
    password_validate(password, user=user, field="password")
    user.set_password(password)
    try:
        with transaction.atomic():  # a concurrent registration of the same email loses here
            user.save(force_insert=True)
    except IntegrityError:
        raise _email_taken() from None
    verification = None if email_verified else _verification_link(user)
    publish(
        "identity.user.registered",
        subject=str(user.pk),
        data=events.user_registered(user, verification=verification),
    )
    return user


@transaction.atomic
def user_register(*, email: str, password: str, first_name: str = "", last_name: str = "") -> User:
    """Self-registration, which must not tell anyone whether an address has an account.

    A new address gets its account (``user_create``). An address that has one gets the same
    checks, the same password hashing (the same time) and an answer of the same shape: an
    unsaved customer account that exists nowhere. The owner is told instead, through
    ``identity.user.registration_attempted`` (messaging emails them; at most one per
    ``EMAIL_COOLDOWN_SECONDS``), and their account is left as it was.
    """
    email = normalize_email(email)
    existing = User.objects.filter(email=email).first()
    if existing is None:
        try:
            return user_create(email=email, password=password, first_name=first_name, last_name=last_name)
        except Conflict:  # a concurrent registration of the address won the insert
            existing = User.objects.get(email=email)
    now = timezone.now()
    stand_in = User(
        email=email,
        first_name=first_name,
        last_name=last_name,
        roles=canonical_roles([Role.CUSTOMER]),
        created_at=now,
        updated_at=now,
    )
    password_validate(password, user=stand_in, field="password")
    make_password(password)  # the hashing a new account costs: no enumeration by timing
    if _cooldown_acquire("registration_attempted", email):
        publish(
            "identity.user.registration_attempted",
            subject=str(existing.pk),
            data=events.registration_attempted(existing),
        )
    return stand_in


def _email_taken() -> Conflict:
    return Conflict("An account with this email already exists.", code=AccountErrorCode.EMAIL_TAKEN)


@transaction.atomic
def email_verification_resend(*, email: str) -> None:
    """Send a new link to an unverified account; silently nothing otherwise (no enumeration)."""
    email = normalize_email(email)
    user = User.objects.filter(email=email, is_active=True, email_verified=False).first()
    if user is None or not _cooldown_acquire("verification", email):
        return
    publish(
        "identity.user.email_verification_requested",
        subject=str(user.pk),
        data=events.email_verification_requested(user, verification=_verification_link(user)),
    )


@transaction.atomic
def email_verify(*, token: str) -> User:
    user = one_time_token_consume(raw=token, purpose=OneTimeToken.Purpose.EMAIL_VERIFICATION)
    if not user.email_verified:
        user.email_verified = True
        user.save(update_fields=["email_verified", "updated_at"])
        publish(
            "identity.user.updated",
            subject=str(user.pk),
            data=events.user_updated(user, changed=["email_verified"]),
        )
    return user


# -- profile and staff changes ----------------------------------------------------------------
@transaction.atomic
def user_profile_update(*, user: User, **changes: Any) -> User:
    """What a user may change about themselves: their name and language (roles and flags are not theirs)."""
    forbidden = set(changes) - PROFILE_FIELDS
    if forbidden:
        raise ValidationError({field: ["This field cannot be changed here."] for field in sorted(forbidden)})
    return user_changes_save(user=user, changes=changes)


def user_update_check(*, user: User, actor: User | None, changes: dict[str, Any]) -> None:
    """May ``actor`` make these staff changes to ``user``? Raises ApplicationError (403) if not.

    Separate from ``identity.access.services.user_update`` so the Django admin can show it as a
    form error."""
    if actor is None:
        return
    if not actor.is_staff:
        raise ApplicationError(
            "This requires a staff account.", code=AccountErrorCode.NOT_ALLOWED, status_code=403
        )
    changes_access = any(
        field in changes and changes[field] != getattr(user, field) for field in ("roles", "is_active")
    )
    if changes_access and actor.pk == user.pk:
        # Nobody locks themselves out or promotes themselves by accident.
        raise ApplicationError(
            "You cannot change your own roles or deactivate yourself.",
            code=AccountErrorCode.NOT_ALLOWED,
            status_code=403,
        )
    touches_admin = Role.ADMIN in user.roles or Role.ADMIN in changes.get("roles", [])
    if changes_access and touches_admin and not actor.is_superuser:
        raise ApplicationError(
            "Only an admin can change an admin or grant the admin role.",
            code=AccountErrorCode.NOT_ALLOWED,
            status_code=403,
        )


def user_changes_save(*, user: User, changes: dict[str, Any]) -> User:
    """Save the fields of ``changes`` that differ and publish ``identity.user.updated`` (the
    caller has validated them: ``user_profile_update``, ``identity.access.services.user_update``)."""
    changed = [field for field, value in changes.items() if getattr(user, field) != value]
    if not changed:
        return user
    for field in changed:
        setattr(user, field, changes[field])
    user.save(update_fields=[*changed, "updated_at"])
    publish("identity.user.updated", subject=str(user.pk), data=events.user_updated(user, changed=changed))
    return user


# -- password reset links (the new password itself: identity.access.services) ------------------
@transaction.atomic
def password_reset_request(*, email: str) -> None:
    """Send a reset link if an active account has this email; the caller can't tell either way."""
    email = normalize_email(email)
    user = User.objects.filter(email=email, is_active=True).first()
    if user is None or not _cooldown_acquire("password_reset", email):
        return
    link = one_time_token_issue(
        user=user,
        purpose=OneTimeToken.Purpose.PASSWORD_RESET,
        lifetime_seconds=settings.IDENTITY["PASSWORD_RESET_SECONDS"],
        url_template=settings.IDENTITY["PASSWORD_RESET_URL"],
    )
    publish(
        "identity.user.password_reset_requested",
        subject=str(user.pk),
        data=events.password_reset_requested(user, reset=link),
    )


# -- operations ------------------------------------------------------------------------------
@transaction.atomic
def one_time_tokens_purge(*, expired_before: datetime) -> int:
    deleted, _ = OneTimeToken.objects.filter(expires_at__lt=expired_before).delete()
    return deleted
