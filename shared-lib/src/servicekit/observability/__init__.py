"""Request ids, JSON logs and Prometheus metrics."""

from servicekit.observability.context import get_request_id, request_id_scope

__all__ = ["get_request_id", "request_id_scope"]
