from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from identity.accounts.models import User
from identity.apikeys import events, hashing
from identity.apikeys.models import ApiKey
from identity.apikeys.scopes import scopes_not_allowed
from servicekit.events import publish

PREFIX_ATTEMPTS = 3


@transaction.atomic
def api_key_create(
    *, user: User, name: str, scopes: list[str], expires_at: datetime | None = None
) -> tuple[ApiKey, str]:
    """Create a key; returns it with the full ``<prefix>.<secret>``, which is never seen again.

    Only scopes the owner's roles allow (``identity.apikeys.scopes``)."""
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": ["The expiry must be in the future."]})
    refused = scopes_not_allowed(scopes, user.roles)
    if refused:
        raise ValidationError({"scopes": [f"Not a scope your account may grant: {', '.join(refused)}."]})
    for attempt in range(PREFIX_ATTEMPTS):
        prefix = hashing.generate_prefix()
        raw_key = f"{prefix}.{hashing.generate_secret()}"
        api_key = ApiKey(
            user=user,
            name=name,
            prefix=prefix,
            secret_hash=hashing.key_hash(raw_key),
            scopes=sorted(set(scopes)),
            expires_at=expires_at,
        )
        try:
            with transaction.atomic():  # a 64-bit prefix collision is astronomically rare; retry
                api_key.save(force_insert=True)
            break
        except IntegrityError:
            if attempt == PREFIX_ATTEMPTS - 1:
                raise
    publish("identity.api_key.created", subject=str(api_key.pk), data=events.api_key_created(api_key))
    return api_key, raw_key


@transaction.atomic
def api_key_revoke(*, api_key: ApiKey) -> ApiKey:
    """Revoke (idempotent: revoking twice publishes one event)."""
    api_key = ApiKey.objects.select_for_update().get(pk=api_key.pk)
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])
        publish("identity.api_key.revoked", subject=str(api_key.pk), data=events.api_key_revoked(api_key))
    return api_key


def api_key_authenticate(*, raw_key: str) -> ApiKey | None:
    """The usable key behind ``raw_key`` (with its active user), else None.

    Called for every introspection (servicekit caches the answers), so it is one indexed
    read; ``last_used_at`` is written at most once per resolution window, not per call.
    """
    prefix = hashing.parse(raw_key)
    if prefix is None:
        return None
    api_key = ApiKey.objects.select_related("user").filter(prefix=prefix).first()
    if api_key is None or not hashing.matches(raw_key, api_key.secret_hash):
        return None
    now = timezone.now()
    if not api_key.is_usable(now) or not api_key.user.is_active:
        return None
    resolution = timedelta(seconds=settings.IDENTITY["API_KEY_LAST_USED_RESOLUTION_SECONDS"])
    if api_key.last_used_at is None or now - api_key.last_used_at >= resolution:
        # Conditional, so concurrent introspections of one key write once.
        ApiKey.objects.filter(pk=api_key.pk, last_used_at=api_key.last_used_at).update(last_used_at=now)
        api_key.last_used_at = now
    return api_key
