"""The accounts domain's error codes (stable strings in the error envelope)."""

from enum import StrEnum


class AccountErrorCode(StrEnum):
    EMAIL_TAKEN = "email_taken"
    INVALID_LINK = "invalid_token"  # a verification or password-reset link
    NOT_ALLOWED = "permission_denied"  # a staff change the actor may not make
    ACCOUNT_INACTIVE = "account_inactive"
