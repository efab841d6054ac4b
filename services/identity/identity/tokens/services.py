"""Issue, rotate and revoke tokens.

A refresh token is single-use: refreshing revokes it (reason ``rotated``) and issues a new
pair in the same family. Presenting a rotated token again means it was copied, so every
refresh token of the user is revoked (OAuth 2.0 Security BCP, refresh token reuse detection)
unless it was rotated less than ``REFRESH_REUSE_GRACE_SECONDS`` ago: two tabs refreshing at
once, or a client retrying a refresh whose answer it lost, are not a theft. Such a late copy
is refused (``token_revoked``) and nothing else is touched.

Logout ends the token's whole family (the session), whichever of its tokens is presented.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from identity.accounts.models import User
from identity.tokens import events
from identity.tokens.errors import TokenErrorCode
from identity.tokens.models import RefreshToken, RevocationReason
from identity.tokens.signing import access_token_sign, refresh_token_decode, refresh_token_sign, token_error
from servicekit.events import publish


@dataclass(frozen=True)
class TokenPair:
    access: str
    refresh: str
    expires_in: int
    token_type: str = "Bearer"


def _issue(*, user: User, family_id: uuid.UUID) -> tuple[TokenPair, RefreshToken]:
    row = RefreshToken(user=user, family_id=family_id)
    refresh = refresh_token_sign(user=user, jti=row.jti)
    row.expires_at = refresh.expires_at
    row.save(force_insert=True)
    pair = TokenPair(
        access=access_token_sign(user).token,
        refresh=refresh.token,
        expires_in=settings.IDENTITY["ACCESS_TOKEN_SECONDS"],
    )
    return pair, row


@transaction.atomic
def token_pair_issue(*, user: User) -> TokenPair:
    """A new session (a new refresh token family) for a user who just signed in."""
    pair, _ = _issue(user=user, family_id=uuid.uuid4())
    return pair


def _locked_row(claims: dict[str, Any]) -> RefreshToken:
    row = (
        RefreshToken.objects.select_for_update(of=("self",))
        .select_related("user")
        .filter(jti=claims["jti"], user_id=claims["sub"])
        .first()
    )
    if row is None:
        raise token_error("Refresh token is invalid.", TokenErrorCode.TOKEN_INVALID)
    return row


def _rotated_within_grace(row: RefreshToken) -> bool:
    grace = timedelta(seconds=settings.IDENTITY["REFRESH_REUSE_GRACE_SECONDS"])
    return row.revoked_at is not None and timezone.now() - row.revoked_at < grace


def token_refresh(*, refresh: str) -> TokenPair:
    """Rotate ``refresh`` into a new pair; reuse of a rotated token revokes everything."""
    claims = refresh_token_decode(refresh)
    reused = False
    with transaction.atomic():
        # A concurrent refresh of the same token waits here until the first one commits.
        row = _locked_row(claims)
        if not row.is_revoked and row.user.is_active:
            new_pair, new_row = _issue(user=row.user, family_id=row.family_id)
            row.revoked_at = timezone.now()
            row.revoked_reason = RevocationReason.ROTATED
            row.replaced_by = new_row
            row.save(update_fields=["revoked_at", "revoked_reason", "replaced_by"])
            return new_pair
        if row.revoked_reason == RevocationReason.ROTATED and not _rotated_within_grace(row):
            reused = True
            user_tokens_revoke_all(user=row.user, reason=RevocationReason.REUSE_DETECTED)
    # Raised after the commit: the revocation above must survive the error.
    if reused:
        raise token_error(
            "Refresh token was already used; every session of this account has been signed out.",
            TokenErrorCode.TOKEN_REUSED,
        )
    if not row.user.is_active:
        raise token_error("This account is deactivated.", TokenErrorCode.ACCOUNT_INACTIVE)
    raise token_error("Refresh token has been revoked.", TokenErrorCode.TOKEN_REVOKED)


@transaction.atomic
def refresh_token_revoke(*, refresh: str) -> int:
    """Logout: end the session the token belongs to (idempotent); returns how many tokens died.

    Every live token of the token's family is revoked, not only the one presented: a client
    holding an already-rotated token (a stale copy, a tab that missed a refresh) still ends
    the session, instead of leaving its current token alive."""
    row = _locked_row(refresh_token_decode(refresh))
    live = RefreshToken.objects.filter(family_id=row.family_id, user_id=row.user_id, revoked_at__isnull=True)
    # Lock them first, which waits for a refresh of the family's current token that is under
    # way; the update below is a new statement, so it sees (and revokes) that refresh's new
    # token. A refresh that starts later waits for this transaction and finds its token revoked.
    list(live.select_for_update().order_by("jti").values_list("jti", flat=True))
    return live.update(revoked_at=timezone.now(), revoked_reason=RevocationReason.LOGOUT)


@transaction.atomic
def refresh_tokens_revoke(*, tokens: QuerySet[RefreshToken], reason: str) -> int:
    """Staff end particular sessions (the Django admin)."""
    return tokens.filter(revoked_at__isnull=True).update(revoked_at=timezone.now(), revoked_reason=reason)


@transaction.atomic
def user_tokens_revoke_all(*, user: User, reason: str) -> int:
    """Revoke every live refresh token of ``user`` and tell the other services."""
    now = timezone.now()
    count = RefreshToken.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=now, revoked_reason=reason
    )
    publish(
        "identity.user.tokens_revoked",
        subject=str(user.pk),
        data=events.tokens_revoked(user, reason=reason, revoked_count=count, revoked_at=now),
    )
    return count


@transaction.atomic
def refresh_tokens_purge(*, expired_before: datetime) -> int:
    """Delete refresh tokens that expired before ``expired_before`` (rows only grow otherwise).

    Revoked tokens that are still within their lifetime are kept: reuse detection needs them."""
    deleted, _ = RefreshToken.objects.filter(expires_at__lt=expired_before).delete()
    return deleted
