"""The products domain's error codes (stable strings in the error envelope)."""

from enum import StrEnum


class ProductErrorCode(StrEnum):
    HAS_RESERVATIONS = "product_has_reservations"
