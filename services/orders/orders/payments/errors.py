"""The payments domain's error codes (stable strings in the error envelope)."""

from enum import StrEnum


class PaymentErrorCode(StrEnum):
    ORDER_NOT_PAYABLE = "order_not_payable"
    PAYMENT_IN_PROGRESS = "payment_in_progress"
    INVALID_PAYMENT_METHOD = "validation_error"
    UNKNOWN_PROVIDER = "unknown_provider"
    PROVIDER_UNAVAILABLE = "upstream_unavailable"
    INVALID_SIGNATURE = "invalid_signature"
    REFUND_NOT_RETRYABLE = "refund_not_retryable"
    NOT_FOUND = "not_found"
