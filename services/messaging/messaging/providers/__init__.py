"""WhatsApp providers behind one interface; ``get_provider(name)`` returns a configured one.

``MESSAGING_PROVIDER`` chooses the provider of new sessions; a session keeps the provider it
was started with.
"""

from __future__ import annotations

from messaging.providers.base import (
    Ack,
    InboundMessage,
    InvalidWebhook,
    MessagingProvider,
    OutgoingMedia,
    ProviderError,
    ProviderRejected,
    ProviderUnavailable,
    SentMessage,
    SessionInfo,
    SessionState,
    WebhookEvent,
    WebhookType,
)
from messaging.providers.loopback import LoopbackProvider
from messaging.providers.waha import WahaProvider

PROVIDER_CLASSES: dict[str, type[LoopbackProvider] | type[WahaProvider]] = {
    LoopbackProvider.name: LoopbackProvider,
    WahaProvider.name: WahaProvider,
}


class UnknownProvider(LookupError):
    pass


def get_provider(name: str) -> MessagingProvider:
    try:
        return PROVIDER_CLASSES[name].from_settings()
    except KeyError:
        raise UnknownProvider(name) from None


def default_provider_name() -> str:
    from django.conf import settings

    return settings.MESSAGING["PROVIDER"]


__all__ = [
    "Ack",
    "InboundMessage",
    "InvalidWebhook",
    "LoopbackProvider",
    "MessagingProvider",
    "OutgoingMedia",
    "ProviderError",
    "ProviderRejected",
    "ProviderUnavailable",
    "SentMessage",
    "SessionInfo",
    "SessionState",
    "UnknownProvider",
    "WahaProvider",
    "WebhookEvent",
    "WebhookType",
    "default_provider_name",
    "get_provider",
]
