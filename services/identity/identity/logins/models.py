"""Login history: every sign-in attempt, successful or not."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Outcome(models.TextChoices):
    SUCCEEDED = "succeeded", "Succeeded"
    INVALID_CREDENTIALS = "invalid_credentials", "Wrong email or password"
    ACCOUNT_LOCKED = "account_locked", "Account locked for this address"
    LOGIN_THROTTLED = "login_throttled", "Account slowed down"
    RATE_LIMITED = "rate_limited", "Too many attempts from this address"
    ACCOUNT_INACTIVE = "account_inactive", "Account deactivated"
    NOT_STAFF = "not_staff", "Not a staff account"


class LoginAttempt(models.Model):
    # Null for an email with no account (the attempt is still worth recording).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="login_attempts",
    )
    email = models.CharField(max_length=254)
    outcome = models.CharField(max_length=32, choices=Outcome.choices)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=512, blank=True)
    # Where the attempt came from: "api" or "admin:<service>".
    channel = models.CharField(max_length=32, default="api")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="login_user_created_idx"),
            models.Index(fields=["-created_at"], name="login_created_idx"),
            models.Index(fields=["ip", "-created_at"], name="login_ip_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.email} {self.outcome} at {self.created_at:%Y-%m-%d %H:%M:%S}"

    @property
    def succeeded(self) -> bool:
        return self.outcome == Outcome.SUCCEEDED
