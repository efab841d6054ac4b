"""The payments admin: read-only money records, with one action: retry failed refunds."""

from __future__ import annotations

import pytest

from orders.payments.models import Refund, RefundStatus
from tests.factories import RefundFactory

pytestmark = pytest.mark.django_db
REFUNDS = "/admin/orders/payments/refund/"


def _refund(status: RefundStatus) -> Refund:
    return RefundFactory(
        status=status, failure_message="closed account" if status == RefundStatus.FAILED else ""
    )


def test_the_refund_list_shows_failures(admin_client):
    _refund(RefundStatus.FAILED)

    response = admin_client.get(f"{REFUNDS}?status__exact=failed")

    assert response.status_code == 200
    assert b"closed account" in response.content
    assert b"Retry selected failed refunds" in response.content


def test_the_retry_action_retries_failed_refunds_and_skips_the_others(
    admin_client, captured_events, django_capture_on_commit_callbacks
):
    failed = _refund(RefundStatus.FAILED)
    pending = _refund(RefundStatus.PENDING)

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            REFUNDS, {"action": "retry", "_selected_action": [str(failed.pk), str(pending.pk)]}, follow=True
        )

    assert response.status_code == 200
    messages = [str(message) for message in response.context["messages"]]
    assert "Retried 1 refund(s); each is pending again." in messages
    assert "Skipped 1 refund(s) that had not failed." in messages
    failed.refresh_from_db()
    pending.refresh_from_db()
    assert (failed.status, failed.attempts) == (RefundStatus.SUCCEEDED, 2)
    assert (pending.status, pending.attempts) == (RefundStatus.PENDING, 1)
    captured_events.assert_published("orders.payment.refunded", refund_id=str(failed.id))


def test_staff_without_rights_on_refunds_get_no_action(client, django_user_model):
    staff = django_user_model.objects.create_user("viewer@example.com", is_staff=True)
    client.force_login(staff)
    failed = _refund(RefundStatus.FAILED)

    response = client.post(REFUNDS, {"action": "retry", "_selected_action": [str(failed.pk)]})

    assert response.status_code == 403
    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == (RefundStatus.FAILED, 1)
