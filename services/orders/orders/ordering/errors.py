"""The ordering domain's error codes (stable strings in the error envelope)."""

from enum import StrEnum


class OrderErrorCode(StrEnum):
    CART_EMPTY = "cart_empty"
    PRODUCT_UNAVAILABLE = "product_unavailable"
    CURRENCY_MISMATCH = "currency_mismatch"
    QUANTITY_OUT_OF_RANGE = "quantity_out_of_range"
    AMOUNT_TOO_LARGE = "amount_too_large"
    IDEMPOTENCY_KEY_REQUIRED = "idempotency_key_required"
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
    ILLEGAL_TRANSITION = "conflict"  # the platform's code for a state conflict
    NOT_FOUND = "not_found"
