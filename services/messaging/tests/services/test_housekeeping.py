from datetime import timedelta

import pytest
from django.utils import timezone

from messaging.chat.models import PendingAck
from messaging.housekeeping import Pruned, messaging_prune
from messaging.quotas.models import DailyUsage
from messaging.webhooks.models import WebhookReceipt
from tests.factories import SessionFactory


@pytest.mark.django_db
def test_old_receipts_acks_and_counts_go_recent_ones_stay(user_id):
    now = timezone.now()
    session = SessionFactory()
    for age, event_id in ((timedelta(days=8), "old"), (timedelta(days=6), "recent")):
        WebhookReceipt.objects.create(
            provider="waha", event_id=event_id, outcome="handled", received_at=now - age
        )
    for age, message_id in ((timedelta(hours=25), "old"), (timedelta(hours=1), "recent")):
        PendingAck.objects.create(
            session=session, provider_message_id=message_id, ack=2, received_at=now - age
        )
    for age in (36, 34):
        DailyUsage.objects.create(user_id=user_id, day=(now - timedelta(days=age)).date(), count=1)

    pruned = messaging_prune(now=now)

    assert pruned == Pruned(webhook_receipts=1, pending_acks=1, daily_usage=1)
    assert list(WebhookReceipt.objects.values_list("event_id", flat=True)) == ["recent"]
    assert list(PendingAck.objects.values_list("provider_message_id", flat=True)) == ["recent"]
    assert list(DailyUsage.objects.values_list("day", flat=True)) == [(now - timedelta(days=34)).date()]
