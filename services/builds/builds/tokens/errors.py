"""The build-token domain's error codes (stable strings in the error envelope)."""

from enum import StrEnum

from rest_framework import status

from servicekit.envelope.errors import ApplicationError


class TokenErrorCode(StrEnum):
    INVALID_TOKEN = "invalid_token"  # bad signature, malformed, expired or revoked (401)
    TOKEN_INSUFFICIENT = "token_insufficient"  # valid, but not for this (403)
    VALIDATION_ERROR = "validation_error"
    NOT_FOUND = "not_found"


class TokenInvalid(ApplicationError):
    status_code = status.HTTP_401_UNAUTHORIZED
    code = TokenErrorCode.INVALID_TOKEN
