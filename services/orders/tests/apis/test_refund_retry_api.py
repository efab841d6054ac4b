"""POST /api/v1/payments/{id}/refund/retry/ (staff only) and refund visibility in the API."""

from __future__ import annotations

import uuid

import pytest

from orders.payments.models import Payment, PaymentStatus, Refund, RefundStatus
from tests.factories import PaymentFactory, RefundFactory

pytestmark = pytest.mark.django_db

PAYMENTS = "/api/v1/payments/"


def _refund(payment, status=RefundStatus.FAILED, **fields) -> Refund:
    failed = status == RefundStatus.FAILED
    return RefundFactory(
        payment=payment,
        status=status,
        failure_message="the card account is closed" if failed else "",
        provider_refund_id="re_failed" if failed else "",
        **fields,
    )


def _retry(client, payment_id):
    return client.post(f"{PAYMENTS}{payment_id}/refund/retry/")


@pytest.fixture
def failed(customer):
    payment = PaymentFactory(order__user_id=uuid.UUID(customer.user_id))
    return _refund(payment)


def test_staff_retry_a_failed_refund(staff, failed, captured_events, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = _retry(staff, failed.payment_id)

    assert response.status_code == 202
    refund = response.json()["data"]["refund"]
    assert (refund["status"], refund["attempts"], refund["failure_message"]) == ("pending", 2, "")
    assert len(callbacks) == 1
    # the task ran once the retry committed: the provider refunded this time
    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == (RefundStatus.SUCCEEDED, 2)
    assert Payment.objects.get(id=failed.payment_id).status == PaymentStatus.REFUNDED
    shown = staff.get(f"{PAYMENTS}{failed.payment_id}/").json()["data"]
    assert (shown["status"], shown["refund"]["status"]) == ("refunded", "succeeded")
    captured_events.assert_published("orders.payment.refunded", refund_id=str(failed.id))


def test_customers_cannot_retry_even_their_own_refund(customer, other_customer, failed, captured_events):
    for client in (customer, other_customer):
        response = _retry(client, failed.payment_id)
        assert (response.status_code, response.json()["error"]["code"]) == (403, "permission_denied")

    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == (RefundStatus.FAILED, 1)
    captured_events.assert_nothing_published()


def test_retrying_needs_authentication(api_client, failed):
    assert _retry(api_client, failed.payment_id).status_code == 401


@pytest.mark.parametrize("status", [RefundStatus.PENDING, RefundStatus.SUCCEEDED])
def test_retrying_a_refund_that_has_not_failed_is_409(staff, status, captured_events):
    refund = _refund(PaymentFactory(), status=status)

    response = _retry(staff, refund.payment_id)

    assert response.status_code == 409
    error = response.json()["error"]
    assert (error["code"], error["details"]) == ("refund_not_retryable", {"refund_status": status})
    refund.refresh_from_db()
    assert (refund.status, refund.attempts) == (status, 1)
    captured_events.assert_nothing_published()


def test_retrying_a_payment_without_a_refund_is_409(staff):
    response = _retry(staff, PaymentFactory().id)

    assert (response.status_code, response.json()["error"]["code"]) == (409, "refund_not_retryable")


def test_retrying_an_unknown_payment_is_404(staff):
    assert _retry(staff, uuid.uuid4()).status_code == 404


def test_a_failed_refund_is_visible_to_its_customer_and_findable_by_staff(
    customer, other_customer, staff, failed
):
    _refund(PaymentFactory(), status=RefundStatus.SUCCEEDED)

    mine = customer.get(f"{PAYMENTS}{failed.payment_id}/").json()["data"]["refund"]
    assert (mine["status"], mine["failure_message"], mine["attempts"]) == (
        "failed",
        "the card account is closed",
        1,
    )
    assert other_customer.get(f"{PAYMENTS}{failed.payment_id}/").status_code == 404
    listed = staff.get(PAYMENTS, {"refund_status": "failed"}).json()["data"]
    assert [payment["id"] for payment in listed] == [str(failed.payment_id)]
    assert staff.get(PAYMENTS, {"refund_status": "nope"}).status_code == 400


def test_the_retry_operation_is_in_the_openapi_schema(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()

    operation = schema["paths"]["/api/v1/payments/{payment_id}/refund/retry/"]["post"]
    assert operation["operationId"] == "payments_refund_retry"
    assert "202" in operation["responses"]
