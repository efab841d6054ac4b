"""The reviews domain's error codes (stable strings in the error envelope)."""

from enum import StrEnum


class ReviewErrorCode(StrEnum):
    NOT_A_BUYER = "review_not_allowed"
    ALREADY_REVIEWED = "review_exists"
