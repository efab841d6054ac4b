"""Subscriptions written before their producers publish: each waits for its schema, and this
test says when one has landed so it can join HANDLERS (after its reads are checked)."""

import pytest

from messaging.handlers import AWAITING_PRODUCERS, HANDLERS
from servicekit.events.schemas import UnknownEventType, load_schema
from servicekit.testing.contracts import contract_problems


@pytest.mark.parametrize("subscription", AWAITING_PRODUCERS, ids=lambda subscription: subscription.type)
def test_an_awaiting_subscription_joins_the_registry_when_its_producer_publishes(subscription):
    assert subscription.type not in {handler.type for handler in HANDLERS}
    try:
        load_schema(subscription.type, subscription.version)
    except UnknownEventType:
        pytest.skip(f"{subscription.type} has no producer schema yet")
    problems = contract_problems([subscription])
    pytest.fail(
        f"{subscription.type} now has a schema: move its subscription from AWAITING_PRODUCERS into HANDLERS"
        + (f" after fixing its reads: {problems}" if problems else "")
    )
