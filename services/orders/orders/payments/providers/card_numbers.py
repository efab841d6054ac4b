"""The built-in ``test`` provider: deterministic outcomes by card number, no network.

=====================  ==============================================================
card number            outcome
=====================  ==============================================================
4242 4242 4242 4242    succeeds
5555 5555 5555 4444    succeeds (Mastercard)
4000 0000 0000 0002    declined: ``card_declined``
4000 0000 0000 9995    declined: ``insufficient_funds``
4000 0000 0000 3220    needs 3-D Secure: ``requires_action``, ``next_action.redirect_url`` is
                       the challenge page (``/payments/3ds/<id>/`` on the gateway), whose
                       buttons settle it by the provider's signed webhook
any other valid card   declined: ``card_not_supported`` (test mode takes test cards only)
=====================  ==============================================================

Refunds always succeed at once. Webhooks are JSON signed with
:mod:`~orders.payments.providers.signatures` in the ``X-Test-Provider-Signature`` header;
:meth:`TestCardProvider.webhook` builds one (for tests and the ``payments_test_webhook``
command, which plays the customer finishing a 3-D Secure challenge).
"""

from __future__ import annotations

import json
import math
import time
import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.conf import settings

from orders.payments.providers import signatures
from orders.payments.providers.base import (
    ChargeResult,
    InvalidPaymentMethod,
    InvalidWebhook,
    PaymentMethodDetails,
    PaymentProvider,
    RefundResult,
    WebhookNotification,
)

SUCCEEDS = "4242424242424242"
SUCCEEDS_MASTERCARD = "5555555555554444"
DECLINED = "4000000000000002"
INSUFFICIENT_FUNDS = "4000000000009995"
REQUIRES_3DS = "4000000000003220"

_DECLINES = {
    DECLINED: ("card_declined", "The card was declined."),
    INSUFFICIENT_FUNDS: ("insufficient_funds", "The card has insufficient funds."),
}
SIGNATURE_HEADER = "X-Test-Provider-Signature"


class TestCardProvider(PaymentProvider):
    __test__ = False  # not a pytest test class
    name = "test"

    def describe(self, payment_method: str) -> PaymentMethodDetails:
        number = _card_number(payment_method)
        brand = {"4": "visa", "5": "mastercard", "3": "amex"}.get(number[0], "card")
        return PaymentMethodDetails(brand=brand, last4=number[-4:])

    def charge(self, *, reference: str, amount: Decimal, currency: str, payment_method: str) -> ChargeResult:
        number = _card_number(payment_method)
        payment_id = self.payment_id_for(reference)
        if number in (SUCCEEDS, SUCCEEDS_MASTERCARD):
            return ChargeResult(status="succeeded", provider_payment_id=payment_id)
        if number == REQUIRES_3DS:
            return ChargeResult(
                status="requires_action",
                provider_payment_id=payment_id,
                next_action={
                    "type": "three_d_secure",
                    "redirect_url": self.challenge_url(payment_id),
                },
            )
        code, message = _DECLINES.get(
            number, ("card_not_supported", "Only the documented test cards work with the test provider.")
        )
        return ChargeResult(
            status="failed", provider_payment_id=payment_id, failure_code=code, failure_message=message
        )

    def refund(
        self, *, reference: str, provider_payment_id: str, amount: Decimal, currency: str
    ) -> RefundResult:
        return RefundResult(status="succeeded", provider_refund_id=f"test_re_{uuid.UUID(reference).hex}")

    def parse_webhook(
        self, *, body: bytes, headers: Mapping[str, str], secret: str, tolerance_seconds: int
    ) -> WebhookNotification:
        signatures.verify(
            body, _header(headers, SIGNATURE_HEADER), secret=secret, tolerance_seconds=tolerance_seconds
        )
        try:
            # Standard JSON only: NaN and ±Infinity cannot be stored (jsonb) and never come from
            # a real provider; nesting too deep for the parser is refused, not a 500.
            payload = json.loads(body, parse_constant=_refuse_constant, parse_float=_finite_float)
        except (ValueError, RecursionError) as exc:
            raise InvalidWebhook(f"the body is not a test-provider event: {exc}") from None
        data = payload.get("data") if isinstance(payload, dict) else None
        if not isinstance(payload, dict) or not isinstance(data, dict | None):
            raise InvalidWebhook("the body is not a test-provider event: not an object with object data")
        event_id, event_type = payload.get("id"), payload.get("type")
        if (
            isinstance(event_id, bool)
            or not isinstance(event_id, str | int)
            or not isinstance(event_type, str)
        ):
            raise InvalidWebhook("the body is not a test-provider event: id and type are required")
        data = data or {}
        return WebhookNotification(
            event_id=str(event_id),
            event_type=event_type,
            provider_payment_id=_text(data.get("payment_id")),
            reference=_text(data.get("reference")) or _reference_of(_text(data.get("payment_id"))),
            provider_refund_id=_text(data.get("refund_id")),
            failure_code=_text(data.get("failure_code")),
            failure_message=_text(data.get("failure_message")),
            payload=payload,
        )

    @staticmethod
    def challenge_url(provider_payment_id: str) -> str:
        """The 3-D Secure page of a payment: served by this service through the gateway
        (``orders.payments.challenge``), where the customer completes or fails the challenge."""
        return f"{settings.ORDERS['SITE_URL'].rstrip('/')}/payments/3ds/{provider_payment_id}/"

    # -- helpers for tests and the payments_test_webhook command ---------------------------
    @staticmethod
    def payment_id_for(reference: str) -> str:
        """Deterministic: charging the same reference twice names the same provider payment."""
        return f"{_PAYMENT_ID_PREFIX}{uuid.UUID(reference).hex}"

    @staticmethod
    def webhook(
        event_type: str,
        *,
        secret: str,
        provider_payment_id: str = "",
        event_id: str | None = None,
        timestamp: int | None = None,
        **data: Any,
    ) -> tuple[bytes, dict[str, str]]:
        """A signed webhook request: (body, headers)."""
        payload = {
            "id": event_id or f"evt_{uuid.uuid4().hex}",
            "type": event_type,
            "created": int(time.time()),
            "data": {"payment_id": provider_payment_id, **data},
        }
        body = json.dumps(payload).encode()
        header = signatures.sign(body, secret=secret, timestamp=timestamp)
        return body, {SIGNATURE_HEADER: header, "Content-Type": "application/json"}


_PAYMENT_ID_PREFIX = "test_pi_"


def _reference_of(provider_payment_id: str) -> str:
    """The reference (our payment id) a test-provider payment id was made from, or ""."""
    if not provider_payment_id.startswith(_PAYMENT_ID_PREFIX):
        return ""
    try:
        return str(uuid.UUID(hex=provider_payment_id.removeprefix(_PAYMENT_ID_PREFIX)))
    except ValueError:
        return ""


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not standard JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text[:20]} is out of range")
    return value


def _text(value: Any) -> str:
    """A field the event may carry as a string; anything else (a list, an object) is absent."""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return ""


def _card_number(payment_method: str) -> str:
    number = "".join(str(payment_method).split()).replace("-", "")
    # ASCII digits only: str.isdigit() also accepts "４２…" and "٤٢…", which int() reads as digits.
    if not (number.isascii() and number.isdigit()) or not 12 <= len(number) <= 19:
        raise InvalidPaymentMethod("Enter a card number of 12 to 19 digits.")
    if not _luhn_valid(number):
        raise InvalidPaymentMethod("This card number is not valid.")
    return number


def _luhn_valid(number: str) -> bool:
    total = 0
    for position, digit in enumerate(int(d) for d in reversed(number)):
        if position % 2:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def _header(headers: Mapping[str, str], name: str) -> str | None:
    lowered = name.lower()
    for key, value in headers.items():
        if key.lower() == lowered:
            return value
    return None
