"""The repositories domain's error codes (stable strings in the error envelope)."""

from enum import StrEnum


class RepositoryErrorCode(StrEnum):
    VALIDATION_ERROR = "validation_error"
    NOT_FOUND = "not_found"
    NAME_TAKEN = "repository_exists"
