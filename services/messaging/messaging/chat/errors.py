"""The chat domain's error codes: answers to requests, and why a message failed."""

from enum import StrEnum


class MessageErrorCode(StrEnum):
    INVALID = "validation_error"  # a bad number, text or media: the field is in the details
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
    SESSION_NOT_WORKING = "session_not_working"
    NOT_FOUND = "not_found"


class FailureCode(StrEnum):
    """``Message.error_code`` of a failed message (and the last error of one being retried)."""

    PROVIDER_REJECTED = "provider_rejected"  # the provider refused the send (4xx)
    PROVIDER_UNAVAILABLE = "provider_unavailable"  # unreachable, timed out or 5xx on every attempt
    PROVIDER_ERROR = "provider_error"  # accepted, then acknowledged with an error
    SESSION_NOT_WORKING = "session_not_working"  # the session never came back to working
    MEDIA_UNAVAILABLE = "media_unavailable"  # the media URL could not be fetched
    MEDIA_TOO_LARGE = "media_too_large"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    MEDIA_URL_REFUSED = "media_url_refused"  # a private address, a scheme we do not fetch
