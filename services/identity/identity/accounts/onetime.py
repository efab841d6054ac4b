"""One-time secrets sent by email (verification and reset links).

The raw token leaves identity exactly once, inside the event messaging turns into an
email; the database keeps only its SHA-256, so a database leak yields no usable links.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from identity.accounts.errors import AccountErrorCode
from identity.accounts.models import OneTimeToken, User
from servicekit.envelope.errors import ApplicationError


@dataclass(frozen=True)
class IssuedLink:
    token: str
    url: str
    expires_at: datetime


def token_hash(raw: str) -> str:
    # A fast hash is enough: the token is 256 random bits, not a guessable password.
    return hashlib.sha256(raw.encode()).hexdigest()


def invalid_link() -> ApplicationError:
    return ApplicationError("This link is invalid or has expired.", code=AccountErrorCode.INVALID_LINK)


def one_time_token_issue(
    *, user: User, purpose: OneTimeToken.Purpose, lifetime_seconds: int, url_template: str
) -> IssuedLink:
    """A new link for ``purpose``; earlier unused links of that purpose stop working."""
    now = timezone.now()
    OneTimeToken.objects.filter(user=user, purpose=purpose, used_at__isnull=True).update(used_at=now)
    raw = secrets.token_urlsafe(32)
    expires_at = now + timedelta(seconds=lifetime_seconds)
    OneTimeToken.objects.create(user=user, purpose=purpose, token_hash=token_hash(raw), expires_at=expires_at)
    return IssuedLink(token=raw, url=url_template.format(token=raw), expires_at=expires_at)


def one_time_token_consume(*, raw: str, purpose: OneTimeToken.Purpose) -> User:
    """Mark the token used and return its user; the caller's transaction makes it single-use."""
    token = (
        OneTimeToken.objects.select_for_update()
        .select_related("user")
        .filter(token_hash=token_hash(raw or ""), purpose=purpose)
        .first()
    )
    if token is None or token.used_at is not None or token.expires_at <= timezone.now():
        raise invalid_link()
    token.used_at = timezone.now()
    token.save(update_fields=["used_at"])
    return token.user
