"""Users and their one-time tokens (email verification, password reset)."""

from __future__ import annotations

import uuid

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models.functions import Lower


class Role(models.TextChoices):
    CUSTOMER = "customer", "Customer"
    VENDOR = "vendor", "Vendor"
    STAFF = "staff", "Staff"
    ADMIN = "admin", "Admin"


STAFF_ROLES = frozenset({Role.STAFF, Role.ADMIN})


class Language(models.TextChoices):
    """The languages the platform's e-mails and pages are written in."""

    ENGLISH = "en", "English"
    SPANISH = "es", "Español"


def default_roles() -> list[str]:
    return [Role.CUSTOMER]


def normalize_email(email: str) -> str:
    """The login form of an email: stripped and lowercased (logins are case-insensitive)."""
    return (email or "").strip().lower()


class UserManager(BaseUserManager["User"]):
    def get_by_natural_key(self, username: str) -> User:
        # Django's admin login and ModelBackend come through here: same rule as the API.
        return self.get(email=normalize_email(username))


class User(AbstractBaseUser, PermissionsMixin):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField(max_length=254, unique=True)
    first_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    language = models.CharField(max_length=8, choices=Language.choices, default=Language.ENGLISH)
    roles = ArrayField(
        models.CharField(max_length=16, choices=Role.choices), default=default_roles, size=len(Role)
    )
    is_active = models.BooleanField(default=True)
    email_verified = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        ordering = ["email"]
        constraints = [
            # Stored lowercased, so the plain unique index is a case-insensitive one.
            models.CheckConstraint(condition=models.Q(email=Lower("email")), name="user_email_lowercase"),
        ]
        indexes = [models.Index(fields=["created_at"], name="user_created_at_idx")]

    def __str__(self) -> str:
        return self.email

    # Roles are the single source of truth: Django's flags are derived from them (the
    # property below also replaces PermissionsMixin's is_superuser column).
    @property
    def is_staff(self) -> bool:
        return not STAFF_ROLES.isdisjoint(self.roles)

    @property
    def is_superuser(self) -> bool:  # type: ignore[override]
        return Role.ADMIN in self.roles

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return self.first_name or self.email


class OneTimeToken(models.Model):
    """A single-use secret sent by email; only its SHA-256 is stored."""

    class Purpose(models.TextChoices):
        EMAIL_VERIFICATION = "email_verification", "Email verification"
        PASSWORD_RESET = "password_reset", "Password reset"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="one_time_tokens")
    purpose = models.CharField(max_length=32, choices=Purpose.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "purpose"], name="onetime_user_purpose_idx")]

    def __str__(self) -> str:
        return f"{self.purpose} for {self.user_id}"
