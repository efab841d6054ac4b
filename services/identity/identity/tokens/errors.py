"""The tokens domain's error codes for refresh tokens (stable strings in the error envelope;
access tokens are refused with servicekit.auth's codes)."""

from enum import StrEnum


class TokenErrorCode(StrEnum):
    TOKEN_INVALID = "token_invalid"
    TOKEN_EXPIRED = "token_expired"
    TOKEN_REVOKED = "token_revoked"
    TOKEN_REUSED = "token_reused"  # a rotated token came back: every session was signed out
    ACCOUNT_INACTIVE = "account_inactive"
