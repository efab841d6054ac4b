from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from identity.accounts.models import User
from identity.logins.models import LoginAttempt, Outcome


def login_attempt_list(
    *, user: User | None = None, filters: dict[str, Any] | None = None
) -> QuerySet[LoginAttempt]:
    """Newest first. ``user`` limits to one account (a user's own history); staff pass None."""
    filters = filters or {}
    attempts = LoginAttempt.objects.all()
    if user is not None:
        attempts = attempts.filter(user=user)
    if filters.get("user_id"):
        attempts = attempts.filter(user_id=filters["user_id"])
    if filters.get("email"):
        attempts = attempts.filter(email__iexact=filters["email"].strip())
    if filters.get("ip"):
        attempts = attempts.filter(ip=filters["ip"])
    if filters.get("outcome"):
        attempts = attempts.filter(outcome=filters["outcome"])
    if "succeeded" in filters:
        succeeded = attempts.filter(outcome=Outcome.SUCCEEDED)
        attempts = succeeded if filters["succeeded"] else attempts.exclude(outcome=Outcome.SUCCEEDED)
    if filters.get("since"):
        attempts = attempts.filter(created_at__gte=filters["since"])
    return attempts.order_by("-created_at", "-id")
