"""The webhooks domain's error codes."""

from enum import StrEnum


class WebhookErrorCode(StrEnum):
    INVALID_SIGNATURE = "invalid_signature"  # bad or missing signature, too old, not a WAHA event
    UNKNOWN_PROVIDER = "not_found"
