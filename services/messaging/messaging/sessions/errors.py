"""The sessions domain's error codes (stable strings in the error envelope)."""

from enum import StrEnum


class SessionErrorCode(StrEnum):
    NOT_SCANNING = "session_not_scanning"  # a QR code exists only while the session waits for a scan
    QR_EXPIRED = "qr_expired"  # every QR code went unscanned: start the session again
    NOT_WORKING = "session_not_working"
    LOOPBACK_ONLY = "loopback_only"  # a simulated scan needs the loopback provider
    PROVIDER_UNAVAILABLE = "upstream_unavailable"
    PROVIDER_REJECTED = "provider_rejected"
    NOT_FOUND = "not_found"
