"""The authorization sweep, driven by the six OpenAPI documents: a route added to a service is
swept the day its document is regenerated, without a test of its own.

- Every operation whose URL names an object: another user of the owner's kind gets 404 (never
  403, never the object) and the object is as it was (a GET by its owner before and after).
- Every operation limited to roles (``x-permission``, servicekit.openapi): each role it does not
  list gets 403 ``permission_denied``.
- Every write: fields the caller may not set (owner, roles, status, price, stock, verified
  flags…) are rejected (400 naming them) or ignored (not echoed back).

The world's objects are in ``tests/hardening/world.py``, what each URL parameter names in
``tests/hardening/targets.py`` (with the few parameters no generic sweep can reach, and why).
"""

from __future__ import annotations

import re

import pytest

from tests.hardening.schema import WRITES, Operation, operations
from tests.hardening.targets import (
    INTRUDER,
    ROLE_OF,
    SHOWN_BY,
    body_of,
    headers_of,
    operation_fills,
    owner_of,
    unreachable_reason,
    url_of,
)
from tests.hardening.world import World, call

SWEEP_ROLES = ("customer", "vendor")


def ids(operation: Operation) -> str:
    return operation.id


def snapshot_operation(operation: Operation) -> Operation:
    """The GET that shows the object ``operation`` acts on: ``SHOWN_BY`` where the object has no
    GET of its own, else the deepest GET of one object on the same path or above it."""
    for pattern, path in SHOWN_BY.items():
        if re.search(pattern, operation.path):
            return next(other for other in operations() if other.method == "get" and other.path == path)
    candidates = [
        other
        for other in operations()
        if other.method == "get"
        and operation.path.startswith(other.path)
        and other.path.endswith("}/")
        and set(other.path_params) <= set(operation.path_params)
        and "application/json" in other.success_media_types
    ]
    assert candidates, f"{operation.id}: no GET route shows its object; add one to SHOWN_BY"
    return max(candidates, key=lambda other: len(other.path))


def snapshot(world: World, viewer: str, operation: Operation):
    shown = snapshot_operation(operation)
    answer = call(world.users[viewer], "get", url_of(world, shown))
    assert answer.status_code == 200, (shown.id, answer.text)
    return answer.json()["data"]


def acts_on_a_public_object(operation: Operation) -> bool:
    """Anyone may read the object and any signed-in user may call this on it (a review of a
    product): the operation's own rules decide, not ownership."""
    return snapshot_operation(operation).is_public and operation.permission["requires"] == "authentication"


OWNED = [op for op in operations() if op.path_params and not op.is_public]


@pytest.mark.parametrize("operation", OWNED, ids=ids)
def test_another_users_object_is_not_found_and_unchanged(world, operation):
    reason = unreachable_reason(operation)
    if reason:
        pytest.skip(reason)
    owner = owner_of(operation)
    intruder = INTRUDER[owner]
    if not operation.allows_role(ROLE_OF[intruder]):
        pytest.skip(f"refused to every {ROLE_OF[intruder]} (the role sweep checks it)")
    if acts_on_a_public_object(operation):
        pytest.skip("anyone may read the object and act on it so (the operation's own rules decide)")
    before = snapshot(world, owner, operation)

    answer = call(
        world.users[intruder],
        operation.method,
        url_of(world, operation),
        json=body_of(world, operation),
        headers=headers_of(operation),
    )

    assert answer.status_code == 404, answer.text
    assert answer.json()["error"]["code"] == "not_found"
    assert snapshot(world, owner, operation) == before


ROLE_LIMITED = [
    (operation, role)
    for operation in operations()
    if operation.permission["requires"] == "role"
    for role in SWEEP_ROLES
    if not operation.allows_role(role)
]


@pytest.mark.parametrize(
    ("operation", "role"), ROLE_LIMITED, ids=[f"{role}-{op.id}" for op, role in ROLE_LIMITED]
)
def test_a_role_the_operation_does_not_list_is_refused(world, operation, role):
    reachable = operation.path_params and not unreachable_reason(operation)
    url = url_of(world, operation) if reachable else operation.path  # else an id that exists nowhere
    before = snapshot(world, "staff", operation) if reachable else None

    answer = call(
        world.users[role],
        operation.method,
        url,
        json=body_of(world, operation),
        headers=headers_of(operation),
    )

    assert answer.status_code == 403, answer.text
    assert answer.json()["error"]["code"] == "permission_denied"
    if reachable:
        assert snapshot(world, "staff", operation) == before


def test_the_sweep_finds_the_staff_only_operations():
    """x-permission is what the sweep reads: these must be among the staff-only operations."""
    staff_only = {op.id for op in operations() if op.is_staff_only}
    assert {
        "GET /api/v1/users/",
        "PUT /api/v1/users/{user_id}/roles/",
        "POST /api/v1/catalog/categories/",
        "POST /api/v1/orders/{order_id}/ship/",
        "POST /api/v1/payments/{payment_id}/refund/retry/",
        "PUT /api/v1/messaging/quotas/{user_id}/",
        "GET /api/v1/analytics/usage-stats/",
        "POST /api/v1/builds/repos/",
    } <= staff_only
    assert "POST /api/v1/catalog/products/" not in staff_only  # vendors too
    assert "GET /api/v1/catalog/products/" not in staff_only


# Fields nobody sets through a write (the service decides them), each with the value an
# attacker would like. A field the operation declares is its own business and not sent.
FORBIDDEN = {
    "id": "00000000-0000-4000-8000-000000000001",
    "owner": "00000000-0000-4000-8000-000000000002",
    "owner_id": "00000000-0000-4000-8000-000000000002",
    "user_id": "00000000-0000-4000-8000-000000000002",
    "customer_id": "00000000-0000-4000-8000-000000000002",
    "vendor_id": "00000000-0000-4000-8000-000000000002",
    "created_by": "00000000-0000-4000-8000-000000000002",
    "roles": ["admin"],
    "is_staff": True,
    "is_superuser": True,
    "is_verified": True,
    "email_verified": True,
    "verified": True,
    "status": "paid",
    "price": "0.01",
    "total": "0.01",
    "stock": 999999,
    "reserved": 7777,
    "available": 999999,
    "used": 7777,
}

# Writes the mass-assignment sweep cannot judge generically, with the reason.
NOT_SWEPT_FOR_FIELDS = {
    "POST /api/v1/catalog/products/{product_id}/images/": (
        "an upload (multipart); its form fields are alt_text and position, the rest is not read"
    ),
    "POST /api/v1/catalog/products/{product_id}/reviews/": (
        "one review per buyer, and the world's buyer has written it: every try is a 409 (the"
        " reviews' own tests in services/catalog/tests cover what the serializer keeps)"
    ),
    "POST /api/v1/auth/password-reset/confirm/": "takes a token mailed to the user (tests/e2e/test_identity_flow.py)",
    "POST /api/v1/auth/verify-email/": "takes a token mailed to the user (tests/e2e/test_identity_flow.py)",
}


# Writes whose success would lock the world's users out: made by an account of their own.
CALLER = {"POST /api/v1/auth/me/password/": "spare"}


def caller_of(operation: Operation) -> str | None:
    """Who makes a write in the field sweep: the owner of the object it names; else the least
    privileged role it lets in (None: anonymous, for public operations)."""
    if operation.id in CALLER:
        return CALLER[operation.id]
    if operation.path_params and not unreachable_reason(operation) and not acts_on_a_public_object(operation):
        owner = owner_of(operation)
        if operation.allows_role(ROLE_OF[owner]):
            return owner
    if operation.is_public:
        return None
    for role in ("customer", "vendor", "staff"):
        if operation.allows_role(role):
            return role
    raise AssertionError(f"{operation.id}: no role may call it")


def echoed(data, injected: dict) -> list[str]:
    if not isinstance(data, dict):
        return []
    return [key for key, value in injected.items() if key in data and data[key] == value]


JSON_WRITES = [
    op
    for op in operations()
    if op.method in WRITES and op.json_body is not None and not unreachable_reason(op)
]


@pytest.mark.parametrize("operation", JSON_WRITES, ids=ids)
def test_fields_the_caller_may_not_set_are_rejected_or_ignored(world, operation):
    if operation.id in NOT_SWEPT_FOR_FIELDS:
        pytest.skip(NOT_SWEPT_FOR_FIELDS[operation.id])
    declared = set(operation.json_body.get("properties", {}))
    injected = {key: value for key, value in FORBIDDEN.items() if key not in declared}
    caller = caller_of(operation)
    body = {**body_of(world, operation), **operation_fills(world, operation), **injected}
    answer = call(
        world.users.get(caller) if caller else None,
        operation.method,
        url_of(world, operation) if operation.path_params else operation.path,
        json=body,
        headers=headers_of(operation),
        platform=world.platform,
    )

    assert answer.status_code < 500, answer.text
    if answer.status_code == 400:
        details = answer.json()["error"]["details"]
        assert set(details) & set(injected), f"refused, but not for the forbidden fields: {answer.text}"
    else:
        assert 200 <= answer.status_code < 300, answer.text
        assert not echoed(answer.json().get("data") if answer.content else None, injected), answer.text
