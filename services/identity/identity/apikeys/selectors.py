from __future__ import annotations

from uuid import UUID

from django.db.models import Q, QuerySet
from django.utils import timezone

from identity.accounts.models import User
from identity.apikeys.models import ApiKey
from servicekit.envelope.errors import NotFound


def api_key_list(*, user: User) -> QuerySet[ApiKey]:
    return ApiKey.objects.filter(user=user).order_by("-created_at")


def api_key_get(*, user: User, api_key_id: UUID) -> ApiKey:
    """One of ``user``'s keys; anyone else's answers 404 (their existence is not revealed)."""
    api_key = ApiKey.objects.filter(user=user, pk=api_key_id).first()
    if api_key is None:
        raise NotFound("API key not found.")
    return api_key


def api_key_active_prefixes(*, user: User) -> list[str]:
    usable = Q(revoked_at__isnull=True) & (Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now()))
    return list(ApiKey.objects.filter(usable, user=user).order_by("prefix").values_list("prefix", flat=True))
