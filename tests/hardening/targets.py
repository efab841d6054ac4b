"""What the sweeps put in a URL and a body: each path parameter resolved to an object of the world
(with the role that owns it), and the values of body fields only the world knows.

A route whose path parameter is not in ``RESOURCES`` fails the sweep with a message naming it:
add a line here (or to ``UNREACHABLE`` with the reason), nothing else.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from tests.e2e.shopping import ADDRESS, CUSTOMER_PASSWORD
from tests.hardening.schema import Operation, sample
from tests.hardening.world import CHANGED_PASSWORD, PAYMENT_CARD, World

# (path pattern, parameter) -> (the world's object, or "user:<role>" for a user id; its owner's role)
RESOURCES: list[tuple[str, str, str, str]] = [
    (r"^/api/v1/cart/items/", "product_id", "product", "customer"),  # a line of the customer's cart
    (r"^/api/v1/catalog/products/", "product_id", "product", "vendor"),
    (r"", "image_id", "image", "vendor"),
    (r"", "review_id", "review", "customer"),
    (r"", "category_id", "category", "staff"),
    (r"", "order_id", "order", "customer"),
    (r"", "payment_id", "payment", "customer"),
    (r"", "api_key_id", "api_key", "customer"),
    (r"^/api/v1/users/", "user_id", "user:victim", "staff"),
    (r"^/api/v1/messaging/quotas/", "user_id", "user:customer", "customer"),
    (r"", "session_id", "session", "customer"),
    (r"", "probe_id", "probe", "customer"),
    (r"", "message_id", "message", "customer"),
    (r"^/api/v1/builds/repos/", "name", "repository", "staff"),  # a private repository
    (r"", "build_id", "build", "staff"),  # a build of the private repository
    (r"", "jti", "build_token", "staff"),
]

# Parameters naming something the generic sweeps cannot make, with the reason. Their
# operations are still fuzzed (with ids that exist nowhere) and tested in their own suites.
UNREACHABLE = {
    "job_id": "a job exists once a build token's upload is committed (tests/e2e/builds/test_flatpak.py)",
    "provider": "payment and messaging webhooks are called by providers with a signature, not by users",
    ("/api/v1/builds/builds/{build_id}/checks/{name}/review/", "name"): (
        "a check exists once a committed build runs the repository's check hooks"
        " (services/builds/tests/apis/test_checks_api.py)"
    ),
}

# The GET showing objects that have none of their own (path pattern -> GET route).
SHOWN_BY = {
    r"^/api/v1/catalog/reviews/": "/api/v1/catalog/products/{product_id}/reviews/",
    r"^/api/v1/cart/": "/api/v1/cart/",
}

# Who may be trusted with whose object: the intruder on an owner's object, of the same role.
INTRUDER = {"customer": "other_customer", "vendor": "other_vendor", "staff": "other_customer"}
ROLE_OF = {
    "customer": "customer",
    "other_customer": "customer",
    "victim": "customer",
    "spare": "customer",
    "leaver": "customer",
    "vendor": "vendor",
    "other_vendor": "vendor",
    "staff": "staff",
}


class Unreachable(Exception):
    pass


def unreachable_reason(operation: Operation) -> str | None:
    for parameter in operation.path_params:
        reason = UNREACHABLE.get((operation.path, parameter)) or UNREACHABLE.get(parameter)
        if reason:
            return reason
    return None


def resource(operation: Operation, parameter: str) -> tuple[str, str]:
    """(object key, owner role) of one path parameter."""
    for pattern, name, key, owner in RESOURCES:
        if name == parameter and re.search(pattern, operation.path):
            return key, owner
    raise AssertionError(
        f"{operation.id}: no object for the path parameter {parameter!r}; add it to"
        " tests/hardening/targets.py RESOURCES (or UNREACHABLE, with the reason)"
    )


def owner_of(operation: Operation) -> str:
    """The role owning the object the URL names last (the one the operation acts on)."""
    return resource(operation, operation.path_params[-1])[1]


def value_of(world: World, key: str) -> str:
    if key.startswith("user:"):
        return world.user_ids[key.split(":", 1)[1]]
    return world.objects[key]


def url_of(world: World, operation: Operation) -> str:
    path = operation.path
    for parameter in operation.path_params:
        path = path.replace("{" + parameter + "}", value_of(world, resource(operation, parameter)[0]))
    return path


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def fills(world: World) -> dict[str, Any]:
    """Body fields whose valid values come from the world (or a pattern the sample cannot guess)."""
    return {
        "product_id": world.objects["product"],
        "order_id": world.objects["order"],
        "repository": world.objects["repository"],
        "category": world.objects["category"],
        "sku": unique("SWEEP").upper(),
        "name": unique("sweep"),
        "price": "9.99",
        "currency": "USD",
        "quantity": 1,
        "scopes": ["catalog:read"],
        "scope": ["build"],
        "roles": ["customer"],
        "shipping_address": ADDRESS,
        "payment_method": PAYMENT_CARD,
        "duration": 3600,
        "delta": 1,
        "reason": "sweep",
        "rating": 4,
        "title": "Sweep",
        "daily_limit": 10,
        "to": "+34 600 00 00 02",
        "text": "sweep",
        "password": CUSTOMER_PASSWORD,
        "new_password": CHANGED_PASSWORD,
        "current_password": CUSTOMER_PASSWORD,
    }


def body_of(world: World, operation: Operation) -> dict[str, Any] | None:
    """A body that passes the operation's validation (the world's values where needed)."""
    schema = operation.json_body
    if schema is None:
        return None
    body = sample(operation.service, schema)
    known = fills(world)
    # drf-spectacular documents every field of a PATCH as optional; the view may still need one.
    optional = {key: known[key] for key in schema.get("properties", {}) if key in known}
    return {**optional, **{key: known.get(key, value) for key, value in body.items()}}


def headers_of(operation: Operation) -> dict[str, str]:
    """The headers an operation requires (an Idempotency-Key: a new one each time)."""
    return {
        parameter["name"]: str(uuid.uuid4())
        for parameter in operation.spec.get("parameters", [])
        if parameter["in"] == "header" and parameter.get("required")
    }


def operation_fills(world: World, operation: Operation) -> dict[str, Any]:
    """Values a few public operations need to succeed: a real account, a live refresh token."""
    if operation.path in ("/api/v1/auth/login/",):
        return {"email": world.emails["victim"], "password": CUSTOMER_PASSWORD}
    if operation.path in ("/api/v1/auth/refresh/", "/api/v1/auth/logout/"):
        return {"refresh": world.refresh_token("victim")}
    if operation.path == "/api/v1/payments/":
        return {"order_id": world.confirmed_order()}
    return {}
