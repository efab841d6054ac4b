import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone

from messaging.providers import SessionState


class SessionStatus(models.TextChoices):
    STARTING = SessionState.STARTING.value, "Starting"
    SCAN_QR_CODE = SessionState.SCAN_QR_CODE.value, "Waiting for a QR scan"
    WORKING = SessionState.WORKING.value, "Working"
    FAILED = SessionState.FAILED.value, "Failed"
    STOPPED = SessionState.STOPPED.value, "Stopped"


# A tuple, not a set: its order is part of a constraint, and migrations must not see it change.
LIVE_STATUSES = (SessionStatus.STARTING, SessionStatus.SCAN_QR_CODE, SessionStatus.WORKING)

# The session state machine: every change goes through sessions.services._transition. The
# provider may report a live session starting again (a reconnect) or asking for a new scan
# (the phone unlinked it); a stopped or failed session only comes back by starting anew.
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    SessionStatus.STARTING: frozenset(
        {SessionStatus.SCAN_QR_CODE, SessionStatus.WORKING, SessionStatus.FAILED, SessionStatus.STOPPED}
    ),
    SessionStatus.SCAN_QR_CODE: frozenset(
        {SessionStatus.STARTING, SessionStatus.WORKING, SessionStatus.FAILED, SessionStatus.STOPPED}
    ),
    SessionStatus.WORKING: frozenset(
        {SessionStatus.STARTING, SessionStatus.SCAN_QR_CODE, SessionStatus.FAILED, SessionStatus.STOPPED}
    ),
    SessionStatus.FAILED: frozenset({SessionStatus.STOPPED}),
    SessionStatus.STOPPED: frozenset(),
}


class ProviderStop(models.TextChoices):
    """What the provider must still be asked for a session stopped here (its task not yet run)."""

    NONE = "", "Nothing"
    STOP = "stop", "Stop"
    LOGOUT = "logout", "Log out"


class Session(models.Model):
    """One user's WhatsApp login at a provider. A user has at most one live session; stopped
    and failed ones stay as history (starting again creates a new one)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user_id = models.UUIDField()
    provider = models.CharField(max_length=32)
    # The session's name at the provider, derived from our id (WAHA Plus runs many at once).
    provider_session = models.CharField(max_length=64, unique=True)
    status = models.CharField(max_length=16, choices=SessionStatus.choices, default=SessionStatus.STARTING)
    status_reason = models.CharField(max_length=255, blank=True)
    phone_number = models.CharField(max_length=20, blank=True)  # E.164, once logged in

    # The QR code being shown: its text, when it stops being valid, how many were issued.
    qr_value = models.CharField(max_length=512, blank=True)
    qr_expires_at = models.DateTimeField(null=True, blank=True)
    qr_codes_issued = models.PositiveIntegerField(default=0)

    # Set with the stop (or logout) this service committed, cleared when its task first runs:
    # a session still marked after a while lost its task (the broker was down), and
    # sessions_dispatch_stale sends it again.
    provider_stop = models.CharField(
        max_length=8, choices=ProviderStop.choices, blank=True, default=ProviderStop.NONE, db_default=""
    )

    created_at = models.DateTimeField(default=timezone.now)
    status_changed_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user_id", "-created_at"], name="session_user_created_idx"),
            models.Index(
                fields=["status_changed_at"],
                condition=~Q(provider_stop=""),
                name="session_provider_stop_due_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["user_id"],
                condition=Q(status__in=[status.value for status in LIVE_STATUSES]),
                name="session_one_live_per_user",
            ),
            models.CheckConstraint(condition=Q(status__in=SessionStatus.values), name="session_status_known"),
        ]

    def __str__(self) -> str:
        return f"session {self.id} ({self.status})"

    def can_transition_to(self, status: str) -> bool:
        return status in ALLOWED_TRANSITIONS[self.status]
