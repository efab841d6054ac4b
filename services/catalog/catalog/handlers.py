"""The catalog service's event subscriptions: the one explicit registry (event type → handler).

``reads`` lists the payload fields each handler uses; the contract test checks them against
the producer's schema, and the handler sees only those fields. Handlers run in servicekit's
inbox transaction (one per event and handler), and the services they call are idempotent
per order too, so a re-sent event never reserves, releases or commits twice.
"""

from catalog.inventory import handlers as stock
from catalog.reviews import handlers as reviews
from servicekit.adminauth.handlers import SHADOW_USER_HANDLERS
from servicekit.events import BUILTIN_HANDLERS, subscribe

ORDER_LINES = ["order_id", "user_id", "lines[].product_id"]

HANDLERS = [
    *BUILTIN_HANDLERS,
    *SHADOW_USER_HANDLERS,  # staff shadow users of this service's admin follow identity
    # The checkout saga: reserve on placement, release on cancellation/expiry, commit on payment,
    # and a paid order cancelled before shipping puts its units back on hand.
    subscribe(
        "orders.order.placed",
        stock.reserve_stock_for_placed_order,
        reads=["order_id", "user_id", "lines[].product_id", "lines[].quantity"],
    ),
    subscribe(
        "orders.order.cancelled", stock.release_stock_for_cancelled_order, reads=["order_id", "reason"]
    ),
    subscribe("orders.order.paid", stock.commit_stock_for_paid_order, reads=["order_id"]),
    # Review eligibility: whoever paid for (or received) a product may review it.
    subscribe("orders.order.paid", reviews.record_purchases, reads=ORDER_LINES),
    subscribe("orders.order.completed", reviews.record_purchases, reads=ORDER_LINES),
]
