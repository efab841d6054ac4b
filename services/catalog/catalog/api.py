"""Small helpers shared by the catalog's API classes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponseBase
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from servicekit.envelope.pagination import EnvelopePagination
from servicekit.envelope.renderers import ENVELOPED_ATTR
from servicekit.envelope.views import error_response


def operations(**views: type[APIView]) -> Callable[..., HttpResponseBase]:
    """Serve one URL with one API class per operation: ``operations(get=XListApi, post=XCreateApi)``.

    Each class keeps its own authentication, permissions and serializers. The returned view
    carries a schema-only class combining the handlers so drf-spectacular documents every
    operation of the URL.
    """
    handlers = {method.upper(): view.as_view() for method, view in views.items()}
    if "GET" in handlers:
        handlers.setdefault("HEAD", handlers["GET"])
    handlers.setdefault("OPTIONS", next(iter(handlers.values())))
    allow = ", ".join(sorted(handlers))

    def view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        handler = handlers.get(request.method or "")
        if handler is None:
            return error_response(
                405, "method_not_allowed", f'Method "{request.method}" not allowed.', headers={"Allow": allow}
            )
        return handler(request, *args, **kwargs)

    def get_permissions(self: APIView) -> list[Any]:  # each operation's own, in the schema too
        method = getattr(self.request, "method", None) or next(iter(views))
        return [permission() for permission in views[method.lower()].permission_classes]

    view.csrf_exempt = True  # type: ignore[attr-defined]  (as APIView.as_view does)
    view.cls = type(  # type: ignore[attr-defined]
        "".join(cls.__name__ for cls in views.values()),
        (APIView,),
        {
            **{method.lower(): getattr(cls, method.lower()) for method, cls in views.items()},
            "get_permissions": get_permissions,
        },
    )
    view.initkwargs = {}  # type: ignore[attr-defined]
    return view


def enveloped(payload: dict[str, Any], status: int = 200) -> Response:
    """A response whose body already is ``{"data": …, "meta": {…}}`` (the renderer adds request_id)."""
    response = Response(payload, status=status)
    setattr(response, ENVELOPED_ATTR, True)
    return response


def paginated_payload(
    *, queryset: Any, request: Request, view: APIView, serialize: Callable[[list[Any]], Any]
) -> dict[str, Any]:
    """One page of ``queryset`` as ``{"data": [...], "meta": {"pagination": {...}}}``."""
    paginator = EnvelopePagination()
    page = paginator.paginate_queryset(queryset, request, view=view)
    response = paginator.get_paginated_response(serialize(page))
    return response.data
