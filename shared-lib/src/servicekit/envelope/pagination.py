"""Page-number pagination whose page size is chosen by the client but capped."""

from __future__ import annotations

import sys
from typing import Any

from django.conf import settings
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

from servicekit.envelope.renderers import ENVELOPED_ATTR


class EnvelopePagination(PageNumberPagination):
    page_size_query_param = "page_size"

    def __init__(self) -> None:
        # Per instance (one per request), so tests can override the setting.
        self.max_page_size = settings.SERVICEKIT.get("MAX_PAGE_SIZE", 100)

    def get_page_number(self, request, paginator):
        """The requested page: a positive integer (or ``last``), else a 400 naming ``page``.

        A well-formed number past the end stays a 404 ``not_found`` (DRF's behaviour)."""
        page_number = super().get_page_number(request, paginator)
        if isinstance(page_number, int):  # the default (1), or "last"
            return page_number
        text = _positive_integer(page_number, self.page_query_param, "A page number is a positive integer.")
        return int(text) if len(text) <= 18 else text  # a huge one: past the end, Django says

    def get_page_size(self, request):
        """The requested page size capped at ``MAX_PAGE_SIZE``; absent or empty, the default.

        Anything but a positive integer is a 400 naming ``page_size``, as ``page`` is (DRF
        silently fell back to the default page size)."""
        raw = request.query_params.get(self.page_size_query_param, "")
        if not raw.strip():
            return self.page_size
        text = _positive_integer(raw, self.page_size_query_param, "A page size is a positive integer.")
        size = int(text) if len(text) <= 18 else sys.maxsize  # a huge one: the cap
        return size if self.max_page_size is None else min(size, self.max_page_size)

    def get_paginated_response(self, data) -> Response:
        page = self.page
        assert page is not None, "paginate_queryset() sets the page first"
        response = Response(
            {
                "data": data,
                "meta": {
                    "pagination": {
                        "page": page.number,
                        "page_size": page.paginator.per_page,
                        "count": page.paginator.count,
                        "next": self.get_next_link(),
                        "previous": self.get_previous_link(),
                    }
                },
            }
        )
        setattr(response, ENVELOPED_ATTR, True)
        return response


def _positive_integer(value: Any, parameter: str, message: str) -> str:
    """``value`` as the digits of a positive integer (ASCII only), else a 400 naming ``parameter``."""
    text = str(value).strip()
    if not (text.isascii() and text.isdigit()) or not text.lstrip("0"):
        raise ValidationError({parameter: [message]})
    return text


def paginated_response(*, queryset: Any, serializer_class: type[Any], request: Any, view: Any) -> Response:
    """One page of ``queryset``, serialized, as the list envelope (the page and its links)."""
    paginator = EnvelopePagination()
    page: list[Any] | None = paginator.paginate_queryset(queryset, request, view=view)
    return paginator.get_paginated_response(serializer_class(page, many=True).data)
