"""The payment-provider interface: charge, refund, and read a signed webhook.

A provider is stateless and idempotent by ``reference`` (our payment or refund id): asking
twice with the same reference never charges or refunds twice.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal


class InvalidPaymentMethod(ValueError):
    """The payment method cannot be used at all (malformed, not a card this provider takes)."""


class InvalidWebhook(ValueError):
    """A webhook whose signature, timestamp or body cannot be trusted."""


class ProviderUnavailable(RuntimeError):
    """The provider could not be reached or answered with an error; retry later."""


@dataclass(frozen=True)
class PaymentMethodDetails:
    brand: str
    last4: str


@dataclass(frozen=True)
class ChargeResult:
    status: Literal["succeeded", "failed", "requires_action"]
    provider_payment_id: str
    failure_code: str = ""
    failure_message: str = ""
    # For "requires_action": what the customer must do (e.g. a 3-D Secure redirect).
    next_action: dict[str, Any] | None = None


@dataclass(frozen=True)
class RefundResult:
    status: Literal["succeeded", "failed", "pending"]
    provider_refund_id: str
    failure_message: str = ""


@dataclass(frozen=True)
class WebhookNotification:
    """One verified provider event, in our words."""

    event_id: str
    event_type: str  # payment.succeeded | payment.failed | refund.succeeded | refund.failed | …
    provider_payment_id: str = ""
    # Our payment id, as the provider echoes it (the charge's ``reference``): finds a payment
    # whose charge call failed before it learnt the provider's id (ProviderUnavailable).
    reference: str = ""
    provider_refund_id: str = ""
    failure_code: str = ""
    failure_message: str = ""
    payload: dict[str, Any] = field(default_factory=dict)


class PaymentProvider(ABC):
    name: str

    @abstractmethod
    def describe(self, payment_method: str) -> PaymentMethodDetails:
        """Brand and last four digits; raises :class:`InvalidPaymentMethod`."""

    @abstractmethod
    def charge(self, *, reference: str, amount: Decimal, currency: str, payment_method: str) -> ChargeResult:
        """Charge ``amount``; raises :class:`InvalidPaymentMethod` or :class:`ProviderUnavailable`."""

    @abstractmethod
    def refund(
        self, *, reference: str, provider_payment_id: str, amount: Decimal, currency: str
    ) -> RefundResult:
        """Refund a captured payment; raises :class:`ProviderUnavailable`."""

    @abstractmethod
    def parse_webhook(
        self, *, body: bytes, headers: Mapping[str, str], secret: str, tolerance_seconds: int
    ) -> WebhookNotification:
        """Verify the signature and read the event; raises :class:`InvalidWebhook`."""
