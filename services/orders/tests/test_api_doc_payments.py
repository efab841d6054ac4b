"""docs/api.md's payments section against the code: the test cards and the worked webhook
example (its signature recomputed, and the example accepted by the webhook endpoint)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from rest_framework.test import APIClient

from orders.ordering.models import OrderStatus
from orders.payments.models import Payment, PaymentStatus
from orders.payments.providers import signatures
from orders.payments.providers.card_numbers import (
    DECLINED,
    INSUFFICIENT_FUNDS,
    REQUIRES_3DS,
    SIGNATURE_HEADER,
    SUCCEEDS,
    SUCCEEDS_MASTERCARD,
)
from orders.payments.services import payment_create
from tests.factories import OrderFactory

DOC = Path(__file__).resolve().parents[3] / "docs" / "api.md"


def payments_section() -> str:
    return DOC.read_text(encoding="utf-8").split("\n## Payments\n", 1)[1].split("\n## ", 1)[0]


def worked_example() -> dict[str, str]:
    block = payments_section().split("<!-- webhook-example -->\n```text\n", 1)[1].split("```", 1)[0]
    return dict(re.match(r"(\w+)\s+(.*)", line).groups() for line in block.strip().splitlines())


def test_the_worked_example_is_what_the_provider_signs():
    example = worked_example()
    body, timestamp = example["body"].encode(), int(example["timestamp"])

    assert example["signed"] == f"{timestamp}.{example['body']}"
    header = signatures.sign(body, secret=example["secret"], timestamp=timestamp)
    assert example["header"] == f"{SIGNATURE_HEADER}: {header}"
    signatures.verify(body, header, secret=example["secret"], tolerance_seconds=300, now=timestamp)


@pytest.mark.django_db
def test_the_worked_example_settles_its_payment_at_the_webhook_endpoint(settings, captured_events):
    example = worked_example()
    settings.ORDERS = {**settings.ORDERS, "PAYMENT_WEBHOOK_SECRET": example["secret"]}
    order = OrderFactory(status=OrderStatus.CONFIRMED)
    payment = payment_create(user_id=order.user_id, order_id=order.id, payment_method=REQUIRES_3DS)
    provider_payment_id = re.search(r'"payment_id":"([^"]+)"', example["body"]).group(1)
    Payment.objects.filter(id=payment.id).update(provider_payment_id=provider_payment_id)
    settings.ORDERS["PAYMENT_WEBHOOK_TOLERANCE_SECONDS"] = 10**10  # the example's time is fixed

    response = APIClient().post(
        "/api/v1/payments/webhooks/test/",
        data=example["body"].encode(),
        content_type="application/json",
        HTTP_X_TEST_PROVIDER_SIGNATURE=example["header"].split(": ", 1)[1],
    )

    assert response.status_code == 200, response.content
    assert response.json()["data"]["outcome"] == "payment_succeeded"
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED


def test_the_documented_test_cards_are_the_providers():
    section = payments_section()
    cards = {
        SUCCEEDS: "succeeds",
        SUCCEEDS_MASTERCARD: "succeeds",
        DECLINED: "card_declined",
        INSUFFICIENT_FUNDS: "insufficient_funds",
        REQUIRES_3DS: "requires_action",
    }
    for number, outcome in cards.items():
        spaced = " ".join(number[i : i + 4] for i in range(0, 16, 4))
        assert re.search(rf"\| `{spaced}` \| [^|]*{outcome}", section), number
