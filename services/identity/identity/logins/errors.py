"""The sign-in domain's error codes (stable strings in the error envelope)."""

from enum import StrEnum


class LoginErrorCode(StrEnum):
    INVALID_CREDENTIALS = "invalid_credentials"
    ACCOUNT_INACTIVE = "account_inactive"
    NOT_STAFF = "not_staff"
    RATE_LIMITED = "rate_limited"  # too many failures from one address
    ACCOUNT_LOCKED = "account_locked"  # too many failures on one account
