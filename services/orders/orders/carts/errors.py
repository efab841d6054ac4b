"""The cart's error codes (stable strings in the error envelope)."""

from enum import StrEnum


class CartErrorCode(StrEnum):
    UNKNOWN_PRODUCT = "unknown_product"
    INACTIVE_PRODUCT = "inactive_product"
    CURRENCY_MISMATCH = "currency_mismatch"
    QUANTITY_OUT_OF_RANGE = "quantity_out_of_range"
    CART_FULL = "cart_full"
    LINE_NOT_FOUND = "not_found"
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"  # 409: the same Idempotency-Key, another body
