"""The categories domain's error codes (stable strings in the error envelope)."""

from enum import StrEnum


class CategoryErrorCode(StrEnum):
    NOT_EMPTY = "category_not_empty"
