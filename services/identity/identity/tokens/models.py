"""Refresh tokens: one row per issued token, so they can be rotated and blacklisted."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class RevocationReason(models.TextChoices):
    ROTATED = "rotated", "Rotated (used to refresh)"
    LOGOUT = "logout", "Logout"
    LOGOUT_ALL = "logout_all", "Logout everywhere"
    DEACTIVATED = "deactivated", "Account deactivated"
    ROLES_CHANGED = "roles_changed", "A role was taken away"
    PASSWORD_CHANGED = "password_changed", "Password changed"
    PASSWORD_RESET = "password_reset", "Password reset"
    REUSE_DETECTED = "refresh_token_reuse", "Rotated refresh token reused"
    STAFF = "staff", "Revoked by staff"


class RefreshToken(models.Model):
    # The JWT's jti: the row is found from the token, the token is never stored.
    jti = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="refresh_tokens"
    )
    # Every token obtained by refreshing descends from one login: its family.
    family_id = models.UUIDField(default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=32, choices=RevocationReason.choices, blank=True)
    replaced_by = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replaces"
    )

    class Meta:
        indexes = [
            models.Index(
                fields=["user"], condition=models.Q(revoked_at__isnull=True), name="refresh_live_by_user_idx"
            ),
            models.Index(fields=["expires_at"], name="refresh_expires_at_idx"),
        ]

    def __str__(self) -> str:
        return f"refresh token {self.jti} of {self.user_id}"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None
