"""OpenAPI documents that tell the truth: drf-spectacular taught the platform's HTTP contract.

``servicekit.settings.base`` makes :class:`AutoSchema` every service's ``DEFAULT_SCHEMA_CLASS`` (and
the documents OpenAPI 3.1), so every operation in a service's ``/api/schema/`` documents:

- its success body as the envelope actually sent, ``{"data": …, "meta": {"request_id"}}``; a
  list as one page of it, with ``meta.pagination`` and the ``page``/``page_size`` parameters
  (a view answering a whole list unpaginated says so with ``pagination_class = None``); a file
  (a success documented with another media type than JSON, e.g. ``(200, "image/png")``) as it is;
- each error status it can answer, with the codes that status can carry. Most follow from the
  view: ``validation_error`` (and ``parse_error``, ``unsupported_media_type``) when it takes a
  body or query parameters, ``not_found`` when the URL names an object or the list has pages,
  the codes its authentication and permission classes declare in their ``error_codes``
  attribute, ``not_authenticated``/``permission_denied`` when a permission can refuse,
  ``rate_limited`` everywhere (the gateway limits every route) and 503 ``upstream_unavailable``
  everywhere (the service's database or broker unreachable: ``servicekit.envelope.views.
  server_error`` answers it for any view, with ``Retry-After``). The service's own codes are
  declared on the handler with :func:`error_codes`;
- its security requirements: the schemes of its authentication classes (``bearerAuth``,
  ``apiKeyAuth``), optional where anyone may call it, and none (``security: []``) where it
  authenticates nobody;
- its optional query parameters as ``allowEmptyValue`` (sent empty, one is the same as left
  out: ``servicekit.params.present_params``, what every list's filters read);
- who may call it, in the extension ``x-permission``: ``{"requires": "nothing"}`` (anyone),
  ``{"requires": "authentication"}`` (any signed-in caller; the object may still be the
  caller's own only) or ``{"requires": "role", "roles": [...]}`` (only those roles: staff-only
  operations list ``admin`` and ``staff``). A permission class names the roles it lets through
  in an ``allowed_roles`` attribute (``IsStaff``, ``HasRole``); DRF's ``&``/``|`` combine them.
  The authorization sweep (``tests/hardening``) reads it to find every staff-only operation.

servicekit's pytest plugin validates every response a service's API tests receive against
the service's own document (``servicekit.testing.openapi``), so code and document cannot drift.
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable, Iterable, Mapping
from http import HTTPStatus
from typing import Any, TypeVar, cast

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.plumbing import ComponentRegistry, ResolvedComponent, get_doc
from rest_framework.permissions import AND, OR, AllowAny, IsAuthenticated
from rest_framework.settings import api_settings

Handler = TypeVar("Handler", bound=Callable[..., Any])
ErrorCodes = Mapping[int, Iterable[str]]

# Where error_codes() leaves its declaration on a handler.
_DECLARED = "servicekit_error_codes"

# Every route goes through the gateway's rate limits (and views may throttle too).
RATE_LIMITED = {429: ("rate_limited",)}
# Any view answers this when the service's database or broker cannot be reached
# (servicekit.envelope.views.server_error), as authentication does when identity cannot.
UPSTREAM_UNAVAILABLE = {503: ("upstream_unavailable",)}
# The statuses whose answers may ask the client to wait (Retry-After, in seconds).
RETRY_AFTER = {
    429: "Seconds to wait.",
    503: "Seconds to wait (sent when the service's database or broker cannot be reached).",
}
# What reading a request body can answer, before the view's own validation.
BODY_ERRORS = {400: ("validation_error", "parse_error"), 415: ("unsupported_media_type",)}

# How drf-spectacular writes OpenApiTypes.BINARY.
BINARY = {"type": "string", "format": "binary"}

# The envelope's pieces, one component each (schema name -> schema).
META = "ResponseMeta"
PAGE_META = "PageMeta"
PAGINATION = "Pagination"
ERROR = "Error"
ERROR_RESPONSE = "ErrorResponse"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


REQUEST_ID = {"type": "string", "description": "The X-Request-ID of the exchange."}

ENVELOPE_COMPONENTS: dict[str, dict[str, Any]] = {
    META: {
        "type": "object",
        "required": ["request_id"],
        "properties": {"request_id": REQUEST_ID},
    },
    PAGINATION: {
        "type": "object",
        "required": ["page", "page_size", "count", "next", "previous"],
        "properties": {
            "page": {"type": "integer", "minimum": 1},
            "page_size": {"type": "integer", "minimum": 1},
            "count": {"type": "integer", "minimum": 0, "description": "Items on all pages."},
            "next": {"type": ["string", "null"], "format": "uri"},
            "previous": {"type": ["string", "null"], "format": "uri"},
        },
    },
    PAGE_META: {
        "type": "object",
        "required": ["request_id", "pagination"],
        "properties": {
            "request_id": REQUEST_ID,
            "pagination": _ref(PAGINATION),
        },
    },
    ERROR: {
        "type": "object",
        "required": ["code", "message", "details"],
        "properties": {
            "code": {
                "type": "string",
                "description": "Stable snake_case code; the response lists its codes.",
            },
            "message": {"type": "string", "description": "For people; may change."},
            "details": {
                "type": "object",
                "additionalProperties": True,
                "description": "For validation_error: each field with its messages.",
            },
        },
    },
    ERROR_RESPONSE: {
        "type": "object",
        "required": ["error", "meta"],
        "properties": {"error": _ref(ERROR), "meta": _ref(META)},
    },
}


def error_codes(*declarations: ErrorCodes) -> Callable[[Handler], Handler]:
    """Declare the codes a handler's own rules answer with, by status::

        @error_codes({409: [AccountErrorCode.EMAIL_TAKEN]})
        def post(self, request): ...

    Several mappings may be given (a shared one such as ``{401: ["account_inactive"]}`` beside
    the handler's own). Only the service's own codes: those that follow from the view
    (``validation_error``, ``not_authenticated``, ``permission_denied``, ``not_found``,
    ``rate_limited``, the token codes) are derived. Stacks with ``extend_schema`` in either order.
    """

    def declare(handler: Handler) -> Handler:
        setattr(handler, _DECLARED, merge_codes(getattr(handler, _DECLARED, {}), *declarations))
        return handler

    return declare


def merge_codes(*declarations: ErrorCodes) -> dict[int, tuple[str, ...]]:
    """The union of several ``{status: codes}`` declarations, each code once, in order."""
    merged: dict[int, dict[str, None]] = {}
    for declaration in declarations:
        for status, codes in declaration.items():
            merged.setdefault(int(status), {}).update(dict.fromkeys(str(code) for code in codes))
    return {status: tuple(codes) for status, codes in merged.items()}


def is_json(media_type: str) -> bool:
    """``application/json`` and its kin (``application/problem+json``, ``…; charset=…``)."""
    essence = media_type.split(";")[0].strip().lower()
    return essence == "application/json" or essence.endswith("+json")


def _defining_class(function: Any) -> type | None:
    """The class whose body defines ``function`` (found by its qualified name), if any."""
    function = getattr(function, "__func__", function)
    owner: Any = sys.modules.get(getattr(function, "__module__", ""))
    for name in getattr(function, "__qualname__", "").split(".")[:-1]:
        owner = getattr(owner, name, None)
    return owner if isinstance(owner, type) else None


def allowed_roles(permission: Any) -> frozenset[str] | None:
    """The roles that may pass ``permission`` (a permission instance, DRF's ``&``/``|`` of
    them included); None when it does not look at roles."""
    if isinstance(permission, (OR, AND)):
        # DRF's stubs do not declare the operands OR and AND hold.
        left, right = allowed_roles(getattr(permission, "op1")), allowed_roles(getattr(permission, "op2"))  # noqa: B009
        if isinstance(permission, AND):
            return _narrowest(left, right)
        return None if left is None or right is None else left | right
    roles = getattr(permission, "allowed_roles", None)
    return None if roles is None else frozenset(roles)


def _narrowest(left: frozenset[str] | None, right: frozenset[str] | None) -> frozenset[str] | None:
    """The roles passing both of two permissions (None: unrestricted by role)."""
    if left is None:
        return right
    return left if right is None else left & right


class AutoSchema(SpectacularAutoSchema):
    """drf-spectacular's AutoSchema with the platform's envelopes, error codes and security."""

    def get_operation(
        self, path: str, path_regex: str, path_prefix: str, method: str, registry: ComponentRegistry
    ) -> dict[str, Any] | None:
        for name, schema in ENVELOPE_COMPONENTS.items():
            registry.register_on_missing(
                ResolvedComponent(name=name, type=ResolvedComponent.SCHEMA, object=name, schema=schema)
            )
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        if not self.view.get_authenticators():
            operation["security"] = []  # nobody is authenticated here: no scheme applies
        operation["x-permission"] = self._permission()
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "query" and not parameter.get("required"):
                # servicekit.params.present_params: ``?category=`` is the same as leaving it out
                parameter["allowEmptyValue"] = True
        responses = operation["responses"]
        for status, codes in self.operation_error_codes(operation).items():
            responses.setdefault(str(status), self._error_response(status, codes))
        operation["responses"] = dict(sorted(responses.items()))
        return operation

    # drf-spectacular's AutoSchema drops DRF's (path, method) arguments; its own signature is kept.
    def get_description(self) -> str:  # type: ignore[override]
        """The handler's docstring, else the docstring of the class that defines the handler.

        Not an inherited one (identity's ``PublicApi`` describes the base, not the operation),
        nor that of a class serving several operations at one URL: it combines classes that
        each define one handler, and each operation is described by its own."""
        handler = getattr(self.view, self.method.lower(), None)
        owner = _defining_class(handler) or type(self.view)
        return get_doc(handler) or inspect.cleandoc(owner.__dict__.get("__doc__") or "")

    # -- success bodies ----------------------------------------------------------------------
    def _get_paginator(self) -> None:
        # drf-spectacular would document a paginator's own body; the envelope is ours (below).
        return None

    def _get_pagination_parameters(self) -> list[dict[str, Any]]:
        pagination_class = self._pagination_class()
        if pagination_class is None or not self._is_list_view():
            return []
        return pagination_class().get_schema_operation_parameters(self.view)

    def _pagination_class(self) -> type | None:
        """Lists are paginated (servicekit's ``paginated_response``) unless the operation's class
        (or the view's) opts out with ``pagination_class = None``."""
        handler_class = _defining_class(getattr(self.view, self.method.lower(), None))
        for cls in (handler_class, type(self.view)):
            if cls is not None and hasattr(cls, "pagination_class"):
                return cls.pagination_class
        # A dotted path in settings; api_settings hands out the class it names.
        return cast(type | None, api_settings.DEFAULT_PAGINATION_CLASS)

    def _is_page(self, serializer: Any = None) -> bool:
        return self._pagination_class() is not None and self._is_list_view(serializer)

    def _get_response_for_code(
        self,
        serializer: Any,
        status_code: int | str,
        media_types: list[str] | None = None,
        direction: str = "response",
    ) -> dict[str, Any]:
        response = super()._get_response_for_code(serializer, status_code, media_types, direction)
        response["description"] = response.get("description") or HTTPStatus(int(status_code)).phrase
        if str(status_code).startswith("2"):
            meta = PAGE_META if self._is_page(serializer) else META
            for name, media_type in response.get("content", {}).items():
                if not is_json(name):
                    # A file (an image, a download) is sent as it is, never enveloped. OpenAPI 3.1
                    # describes raw bytes by the media type alone: a string schema claims text.
                    if media_type.get("schema") == BINARY:
                        del media_type["schema"]
                    continue
                media_type["schema"] = {
                    "type": "object",
                    "required": ["data", "meta"],
                    "properties": {"data": media_type["schema"], "meta": _ref(meta)},
                }
        return response

    def _map_serializer_field(self, field: Any, direction: str, bypass_extensions: bool = False) -> Any:
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        # drf-spectacular writes a nullable field of any type (a JSONField) as
        # `oneOf: [{}, null]`, which null matches twice, so no null is valid: any value is `{}`.
        if isinstance(schema, dict) and schema.get("oneOf") == [{}, {"type": "null"}]:
            schema = {key: value for key, value in schema.items() if key != "oneOf"}
        return schema

    # -- who may call it ---------------------------------------------------------------------
    def _permission(self) -> dict[str, Any]:
        """The ``x-permission`` extension: what a caller needs to pass the view's permissions."""
        refusing = [p for p in self.view.get_permissions() if not isinstance(p, AllowAny)]
        if not refusing:
            return {"requires": "nothing"}
        roles: frozenset[str] | None = None
        for permission in refusing:  # DRF requires every permission class to pass
            roles = _narrowest(roles, allowed_roles(permission))
        if roles is None:
            return {"requires": "authentication"}
        return {"requires": "role", "roles": sorted(roles)}

    # -- error responses ---------------------------------------------------------------------
    def operation_error_codes(self, operation: Mapping[str, Any]) -> dict[int, tuple[str, ...]]:
        """Every ``{status: codes}`` this operation can answer with, derived and declared."""
        locations = {parameter["in"] for parameter in operation.get("parameters", [])}
        derived: dict[int, tuple[str, ...]] = {}
        if "requestBody" in operation:
            derived = merge_codes(derived, BODY_ERRORS)
        if "query" in locations:
            derived = merge_codes(derived, {400: ("validation_error",)})
        if "path" in locations or self._is_page():  # the object named in the URL; a page past the end
            derived = merge_codes(derived, {404: ("not_found",)})
        handler = getattr(self.view, self.method.lower(), None)
        return merge_codes(
            derived,
            self._access_codes(),
            RATE_LIMITED,
            getattr(handler, _DECLARED, {}),
            UPSTREAM_UNAVAILABLE,
        )

    def _access_codes(self) -> dict[int, tuple[str, ...]]:
        """What the view's authentication and permission classes answer (as DRF decides it:
        a refusal is 401 ``not_authenticated`` while no credentials were sent, if the view
        authenticates anyone at all, and 403 otherwise)."""
        authenticators = self.view.get_authenticators()
        permissions = self.view.get_permissions()
        refusing = [p for p in permissions if not isinstance(p, AllowAny)]
        codes = merge_codes(*(getattr(a, "error_codes", {}) for a in authenticators))
        if refusing and authenticators:
            codes = merge_codes(codes, {401: ("not_authenticated",)})
        if any(type(p) is not IsAuthenticated for p in refusing) or (refusing and not authenticators):
            codes = merge_codes(codes, {403: ("permission_denied",)})
        return merge_codes(codes, *(getattr(p, "error_codes", {}) for p in permissions))

    def _error_response(self, status: int, codes: tuple[str, ...]) -> dict[str, Any]:
        schema = {
            "allOf": [_ref(ERROR_RESPONSE)],
            "properties": {"error": {"properties": {"code": {"type": "string", "enum": list(codes)}}}},
        }
        response: dict[str, Any] = {
            "description": f"{HTTPStatus(status).phrase}: " + ", ".join(f"`{code}`" for code in codes),
            "content": {media_type: {"schema": schema} for media_type in self.map_renderers("media_type")},
        }
        if status in RETRY_AFTER:
            response["headers"] = {
                "Retry-After": {"schema": {"type": "integer"}, "description": RETRY_AFTER[status]}
            }
        return response
