"""Rows kept only for a while: webhook receipts (replays are refused by age long before they
are forgotten), acknowledgements whose message never showed up, and past days' quota counts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from messaging.chat.models import PendingAck
from messaging.quotas.models import DailyUsage
from messaging.webhooks.models import WebhookReceipt

# Far beyond MESSAGING_WEBHOOK_TOLERANCE_SECONDS and WAHA's retries of a delivery.
WEBHOOK_RECEIPT_DAYS = 7
# An acknowledgement normally waits milliseconds for its send to commit.
PENDING_ACK_DAYS = 1
# A month of daily counts, for support questions about a refused send.
DAILY_USAGE_DAYS = 35


@dataclass(frozen=True)
class Pruned:
    webhook_receipts: int
    pending_acks: int
    daily_usage: int


def messaging_prune(*, now: datetime | None = None) -> Pruned:
    now = now or timezone.now()
    receipts, _ = WebhookReceipt.objects.filter(
        received_at__lt=now - timedelta(days=WEBHOOK_RECEIPT_DAYS)
    ).delete()
    acks, _ = PendingAck.objects.filter(received_at__lt=now - timedelta(days=PENDING_ACK_DAYS)).delete()
    usage, _ = DailyUsage.objects.filter(day__lt=(now - timedelta(days=DAILY_USAGE_DAYS)).date()).delete()
    return Pruned(webhook_receipts=receipts, pending_acks=acks, daily_usage=usage)
