"""What every service's API layer is built from: one API class per operation, and the helpers
they share.

- ``operations(get=XListApi, post=XCreateApi)`` serves one URL with one API class per HTTP
  method. Each request runs through its own class only (its authentication, permissions,
  throttles, parsers, serializers), so one operation's rules never reach another's; the
  OpenAPI schema documents each operation from its own class.
- ``PublicApi`` (no credentials at all) and ``InternalApi`` (service-to-service only) as bases.
- ``StrictSerializer`` rejects fields it does not declare.
- ``enveloped`` and ``paginated_payload`` for views that build (or cache) the envelope themselves.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponseBase
from rest_framework import serializers
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from servicekit.auth.permissions import HasInternalToken
from servicekit.envelope.pagination import EnvelopePagination
from servicekit.envelope.renderers import ENVELOPED_ATTR
from servicekit.envelope.views import error_response

OPERATION_METHODS = ("get", "post", "put", "patch", "delete")


def operations(**views: type[APIView]) -> Callable[..., HttpResponseBase]:
    """The view for a URL with several operations: ``path("", operations(get=XListApi, post=XCreateApi))``.

    HEAD is served by the GET class, OPTIONS by the first class; any other method is a 405
    envelope whose ``Allow`` header names the URL's methods (as on every response of the URL).
    """
    if not views:
        raise ImproperlyConfigured("operations() needs at least one operation, e.g. get=XListApi.")
    for method, view in views.items():
        if method not in OPERATION_METHODS:
            raise ImproperlyConfigured(
                f"operations(): {method!r} is not one of {', '.join(OPERATION_METHODS)}."
            )
        if not (
            isinstance(view, type) and issubclass(view, APIView) and callable(getattr(view, method, None))
        ):
            raise ImproperlyConfigured(
                f"operations(): {method}={view!r} must be an APIView with a {method}() method."
            )
    served = {*views, "options", *(["head"] if "get" in views else [])}
    return Operations.as_view(
        operations=MappingProxyType(dict(views)),
        # APIView's own order, so Allow reads as it does for a one-class view.
        http_method_names=[method for method in APIView.http_method_names if method in served],
    )


# The view behind operations(): each request is handed whole to its method's API class, so
# requests never use this class's own policies. The policy hooks and handlers in its second
# half exist for the OpenAPI generator, which inspects one view instance per URL and method:
# they answer with the class that serves the method being inspected. (No docstring on
# purpose: drf-spectacular would show it as the description of undocumented operations.)
class Operations(APIView):
    operations: Mapping[str, type[APIView]] = MappingProxyType({})

    @property
    def allowed_methods(self) -> list[str]:
        return [method.upper() for method in self.http_method_names]

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        method = (request.method or "").lower()
        operation = self.operations.get("get" if method == "head" else method)
        if operation is None and method == "options":
            operation = next(iter(self.operations.values()))
        allow = ", ".join(self.allowed_methods)
        if operation is None:
            return error_response(
                405, "method_not_allowed", f'Method "{request.method}" not allowed.', headers={"Allow": allow}
            )
        response = _view_function(operation)(request, *args, **kwargs)  # type: ignore[arg-type]  # classes hash
        if response.has_header("Allow"):
            response["Allow"] = allow  # the URL's methods, not only those of the class that answered
        return response

    # -- for the OpenAPI generator -------------------------------------------------------------

    def __getattr__(self, name: str) -> Any:
        """An operation's handler (``view.get``), carrying its schema annotations, its
        ``@error_codes`` and its name (servicekit.openapi describes the operation by the class
        that defines it: its own docstring, never one inherited from a base)."""
        operation = self.operations.get(name)
        if operation is None:
            raise AttributeError(name)
        return _documented_handler(operation, name)  # type: ignore[arg-type]  # classes hash

    def _operation(self) -> APIView:
        """An instance of the class serving the inspected method, sharing this view's request."""
        method = (getattr(getattr(self, "request", None), "method", None) or "").lower()
        operation = self.operations.get(method) or next(iter(self.operations.values()))
        view = operation()
        view.request = getattr(self, "request", None)  # type: ignore[assignment]  # None outside a request (schema generation)
        view.args, view.kwargs = getattr(self, "args", ()), getattr(self, "kwargs", {})
        view.format_kwarg = None
        return view

    def get_authenticators(self) -> list[Any]:
        return self._operation().get_authenticators()

    def get_permissions(self) -> list[Any]:
        return list(self._operation().get_permissions())

    def get_throttles(self) -> list[Any]:
        return self._operation().get_throttles()

    def get_parsers(self) -> list[Any]:
        return self._operation().get_parsers()

    def get_renderers(self) -> list[Any]:
        return self._operation().get_renderers()


@functools.cache
def _view_function(operation: type[APIView]) -> Callable[..., HttpResponseBase]:
    return operation.as_view()


@functools.cache
def _documented_handler(operation: type[APIView], method: str) -> Callable[..., Any]:
    handler = getattr(operation, method)

    # wraps() copies extend_schema's and error_codes' annotations (the function's __dict__),
    # its docstring and its qualified name (which names the class that defines it).
    @functools.wraps(handler)
    def documented(*args: Any, **kwargs: Any) -> Any:
        return handler(*args, **kwargs)

    return documented


class PublicApi(APIView):
    """No credentials needed (register, login, reset…). A stray, stale Authorization header
    must not break these endpoints, so no authentication runs at all."""

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]


class InternalApi(APIView):
    """Service-to-service only (mounted under ``/internal/``): the shared internal token, no
    user credentials."""

    authentication_classes: list[type] = []
    permission_classes = [HasInternalToken]


class JSONBooleanField(serializers.BooleanField):
    """A boolean in a JSON body: ``true`` or ``false``, nothing else. DRF's BooleanField also
    takes ``1``, ``0.0``, ``"yes"`` or ``"off"``, which a JSON client never means; a query
    string's filters need those strings, and keep DRF's field."""

    default_error_messages = {"invalid": "Must be true or false."}

    def to_internal_value(self, data: Any) -> bool:
        if isinstance(data, bool):
            return data
        self.fail("invalid")
        raise AssertionError("unreachable")  # fail() raises


class StrictSerializer(serializers.Serializer):
    """Rejects fields it does not declare: an attempt to set ``roles`` or ``is_active`` is an
    error the client sees, not a silent no-op."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError(
                    {field: ["This field cannot be set here."] for field in unknown}
                )
        return super().to_internal_value(data)


def enveloped(payload: dict[str, Any], status: int = 200) -> Response:
    """A response whose body already is ``{"data": …, "meta": {…}}`` (the renderer adds request_id)."""
    response = Response(payload, status=status)
    setattr(response, ENVELOPED_ATTR, True)
    return response


def paginated_payload(
    *, queryset: Any, request: Request, view: APIView, serialize: Callable[[list[Any]], Any]
) -> dict[str, Any]:
    """One page of ``queryset`` as ``{"data": [...], "meta": {"pagination": {...}}}``: a plain
    dict, so it can be cached (``enveloped(payload)`` sends it)."""
    paginator = EnvelopePagination()
    page: list[Any] = paginator.paginate_queryset(queryset, request, view=view) or []
    return paginator.get_paginated_response(serialize(page)).data


class FileAnswerNegotiation(DefaultContentNegotiation):
    """For operations that answer with a file (a QR image, a CSV export): the file goes out
    whatever the client's ``Accept`` says, and an error is the JSON envelope, never a 406
    because the client asked for ``image/png`` or ``text/csv`` only. The operation's first
    renderer is the one used."""

    def select_renderer(self, request: Any, renderers: Any, format_suffix: Any = None) -> Any:
        return renderers[0], renderers[0].media_type
