"""Query-string parameters as list endpoints read them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import unquote_to_bytes

from django.http import HttpRequest, HttpResponse
from rest_framework.request import Request

from servicekit.envelope.views import error_response


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


def unreadable_params(query_string: str) -> list[str]:
    """The names of the query parameters whose value (or name) is not text a filter can use: a
    NUL character (no Postgres text holds one) or bytes that are not UTF-8 (Django would read
    them as U+FFFD and filter on that)."""
    bad = []
    for pair in query_string.split("&"):
        if not pair:
            continue
        raw_name, _, raw_value = pair.partition("=")
        name = unquote_to_bytes(raw_name.replace("+", " "))
        value = unquote_to_bytes(raw_value.replace("+", " "))
        try:
            text = name.decode() + value.decode()
        except UnicodeDecodeError:
            text = "\x00"
        if "\x00" in text:
            bad.append(name.decode(errors="replace"))
    return bad


def repeated_params(query_string: str) -> list[str]:
    """The names given more than once (``?page_size=5&page_size=500``): no operation takes a
    list in its query string, and reading the last one silently would hide the mistake."""
    seen: set[str] = set()
    repeated: list[str] = []
    for pair in query_string.split("&"):
        name = unquote_to_bytes(pair.partition("=")[0].replace("+", " ")).decode(errors="replace")
        if not name:
            continue
        if name in seen and name not in repeated:
            repeated.append(name)
        seen.add(name)
    return repeated


class QueryStringMiddleware:
    """Refuse, before any view filters on it, a query string that is not text (``?search=%00``,
    ``?q=%FF``) and, on the API (``/api/``), one that gives a parameter twice: one 400
    ``validation_error`` naming the parameters."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        bad = unreadable_params(request.META.get("QUERY_STRING", ""))
        if bad:
            message = "Query parameters are UTF-8 text without NUL characters."
            return error_response(
                400, "validation_error", "The request is invalid.", {name: [message] for name in bad}
            )
        if request.path.startswith("/api/"):
            repeated = repeated_params(request.META.get("QUERY_STRING", ""))
            if repeated:
                message = "Give this parameter once."
                return error_response(
                    400, "validation_error", "The request is invalid.", {name: [message] for name in repeated}
                )
        return self.get_response(request)
