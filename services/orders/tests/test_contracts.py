"""The orders service's side of the event contracts."""

from __future__ import annotations

import pytest

from orders.handlers import HANDLERS
from servicekit.events.schemas import load_schema
from servicekit.testing.contracts import assert_handlers_match_producer_schemas

ORDERS_EVENTS = [
    "orders.order.placed",
    "orders.order.confirmed",
    "orders.order.rejected",
    "orders.order.cancelled",
    "orders.order.paid",
    "orders.order.shipped",
    "orders.order.completed",
    "orders.payment.failed",
    "orders.payment.refunded",
]


def test_handlers_read_only_what_producers_publish():
    assert_handlers_match_producer_schemas("orders.handlers")


def test_orders_subscribes_to_catalogs_products_and_stock_answers():
    assert {subscription.type for subscription in HANDLERS} >= {
        "catalog.product.created",
        "catalog.product.updated",
        "catalog.product.deleted",
        "catalog.stock.reserved",
        "catalog.stock.rejected",
    }


@pytest.mark.parametrize("event_type", ORDERS_EVENTS)
def test_every_orders_event_has_a_schema_produced_by_orders(event_type):
    schema = load_schema(event_type, 1)

    assert schema["x-producer"] == "orders"
    assert {"order_id", "user_id"} <= set(schema["required"])
