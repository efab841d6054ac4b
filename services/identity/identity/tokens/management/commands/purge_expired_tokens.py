"""``manage.py purge_expired_tokens``: delete refresh tokens and one-time links long expired.

Safe to run at any time and repeatedly (a daily schedule is plenty).
"""

from __future__ import annotations

from datetime import timedelta

from django.core.management.base import BaseCommand
from django.utils import timezone

from identity.accounts.services import one_time_tokens_purge
from identity.tokens.services import refresh_tokens_purge


class Command(BaseCommand):
    help = "Delete refresh tokens and one-time links that expired more than --days ago."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--days", type=int, default=1, help="Grace period after expiry (default 1).")

    def handle(self, *args, days: int, **options) -> None:
        cutoff = timezone.now() - timedelta(days=days)
        refresh = refresh_tokens_purge(expired_before=cutoff)
        links = one_time_tokens_purge(expired_before=cutoff)
        self.stdout.write(f"deleted {refresh} refresh token(s) and {links} one-time link(s)")
