"""The inventory domain's error codes (stable strings in the error envelope)."""

from enum import StrEnum


class StockErrorCode(StrEnum):
    BELOW_RESERVED = "stock_below_reserved"
