"""Query-string parameters as list endpoints read them."""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request


def present_params(request: Request) -> dict[str, str]:
    """The query parameters that have a value (the last one of each name), as a plain dict.

    ``?category=&min_price=`` (what a form sends for its unset fields) means the same as
    leaving those parameters out, never a validation error. A plain dict also keeps an absent
    boolean absent (DRF reads a boolean missing from a QueryDict as an unticked checkbox).
    """
    return {key: value for key, value in request.query_params.dict().items() if value.strip()}


def query_filters(serializer_class: type[Any], request: Request) -> dict[str, Any]:
    """The validated filters of a list endpoint (400 validation_error naming the field)."""
    serializer = serializer_class(data=present_params(request))
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data
