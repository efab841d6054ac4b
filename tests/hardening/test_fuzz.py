"""Fuzzing every operation of the six OpenAPI documents through the gateway, with schemathesis.

Each operation is called as a customer, a vendor and staff, with data generated from its
document: valid data (on the world's real objects, so the requests reach the services' code
rather than a 404) and invalid data (wrong types, missing fields, values out of range). Every
response goes through schemathesis' checks but one (``EXCLUDED_CHECKS``, with the reason): no
5xx, the status, content type, headers and body the document promises, invalid data refused.

``make test`` runs a bounded pass: ``FUZZ_MAX_EXAMPLES`` (default 1) valid and as many invalid
examples per operation and role, the same every run. ``make fuzz`` runs a long one
(``FUZZ_MAX_EXAMPLES=100`` unless given) with new examples each run (``FUZZ_SEED=<n>`` replays
one).
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.hardening.schema import DOCUMENTS, Operation, operations, services
from tests.hardening.targets import resource, unreachable_reason, value_of

MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "1"))
SEED = os.environ.get("FUZZ_SEED")
RANDOM = bool(os.environ.get("FUZZ_RANDOM")) or SEED is not None
ROLES = ("customer", "vendor", "staff")

SCHEMAS = {service: schemathesis.openapi.from_path(DOCUMENTS / f"{service}.json") for service in services()}


# Operations that end every session of their caller: fuzzed once, as an account of their own
# (the world's users keep their sessions for the tests that follow).
SESSION_ENDING = {"POST /api/v1/auth/logout-all/"}
# Checks left out, with the reason. positive_data_acceptance expects a 2xx for any request the
# document admits, but a valid-looking request may break a rule no schema states (a "to"
# before its "from", a SKU already taken, a cart line for a product not in the cart): those
# are 4xx by design. Whether such a 4xx is documented is still checked (status_code_conformance).
EXCLUDED_CHECKS = [positive_data_acceptance]

OPERATIONS = list(operations())


def schema_operation(operation: Operation):
    return SCHEMAS[operation.service][operation.path][operation.method.upper()]


def real_path_parameters(world, operation: Operation) -> dict[str, str]:
    if unreachable_reason(operation):
        return {}
    return {name: value_of(world, resource(operation, name)[0]) for name in operation.path_params}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: op.id)
def test_no_server_error_and_every_response_as_documented(world, operation, role):
    if operation.id in SESSION_ENDING:
        if role != "customer":
            pytest.skip("ends its caller's sessions: fuzzed once, as an account of its own")
        api = world.fresh_session("leaver")
    else:
        api = world.signed_in(role)
    target = schema_operation(operation)
    strategies = {
        # valid data on the world's real objects; invalid data anywhere (ids included)
        "valid": target.as_strategy(
            GenerationMode.POSITIVE, path_parameters=real_path_parameters(world, operation)
        ),
        "invalid": target.as_strategy(GenerationMode.NEGATIVE),
    }
    for mode, strategy in strategies.items():

        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            database=None,
            derandomize=not RANDOM,
            phases=[Phase.explicit, Phase.generate],  # a failure is reported as found, not shrunk
            suppress_health_check=list(HealthCheck),
        )
        @given(case=strategy)
        @seed(int(SEED) if SEED else None)
        def fuzz(case):
            case.call_and_validate(
                base_url=world.platform.url(""),
                headers=dict(api.headers),
                excluded_checks=EXCLUDED_CHECKS,
                timeout=30,
            )

        try:
            fuzz()
        except Unsatisfiable:
            # An operation taking no input (a tree of every category), or any input (a webhook's
            # body): its document admits every request, so none can be invalid.
            if mode != "invalid":
                raise
