"""The notifications domain's error codes."""

from enum import StrEnum


class NotificationErrorCode(StrEnum):
    NOT_OPTIONAL = "notification_not_optional"  # security mail cannot be turned off
    INVALID = "validation_error"
