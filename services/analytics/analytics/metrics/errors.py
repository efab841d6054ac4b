"""The metrics domain's error codes (stable strings in the error envelope)."""

from enum import StrEnum


class MetricsErrorCode(StrEnum):
    INVALID_PERIOD = "validation_error"  # a bad range or granularity is bad input like any other
    QUERY_TIMEOUT = "query_timeout"  # the query took longer than ANALYTICS_QUERY_TIMEOUT_SECONDS
