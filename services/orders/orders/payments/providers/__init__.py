"""Payment providers behind one interface; ``get_provider(name)`` returns a configured one."""

from __future__ import annotations

from django.conf import settings

from orders.payments.providers.base import (
    ChargeResult,
    InvalidPaymentMethod,
    InvalidWebhook,
    PaymentProvider,
    ProviderUnavailable,
    RefundResult,
    WebhookNotification,
)
from orders.payments.providers.card_numbers import TestCardProvider

# Every provider this service knows; PAYMENT_PROVIDERS chooses which of them are enabled.
PROVIDER_CLASSES: dict[str, type[PaymentProvider]] = {
    TestCardProvider.name: TestCardProvider,
}


class UnknownProvider(LookupError):
    pass


def enabled_provider_names() -> list[str]:
    return [name for name in settings.ORDERS["PAYMENT_PROVIDERS"] if name in PROVIDER_CLASSES]


def get_provider(name: str) -> PaymentProvider:
    if name not in enabled_provider_names():
        raise UnknownProvider(name)
    return PROVIDER_CLASSES[name]()


__all__ = [
    "ChargeResult",
    "InvalidPaymentMethod",
    "InvalidWebhook",
    "PaymentProvider",
    "ProviderUnavailable",
    "RefundResult",
    "UnknownProvider",
    "WebhookNotification",
    "enabled_provider_names",
    "get_provider",
]
