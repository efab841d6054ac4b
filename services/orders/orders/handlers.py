"""The orders service's event subscriptions: the one explicit registry (event type → handler).

``reads`` lists the payload fields each handler uses; the contract test checks them against
the producer's schema, and the handler sees only those fields.
"""

from orders.ordering.handlers import on_stock_rejected, on_stock_reserved
from orders.products.handlers import PRODUCT_FIELDS, on_product_changed, on_product_deleted
from servicekit.adminauth.handlers import SHADOW_USER_HANDLERS
from servicekit.events import BUILTIN_HANDLERS, subscribe

HANDLERS = [
    *BUILTIN_HANDLERS,
    *SHADOW_USER_HANDLERS,  # staff shadow users of this service's admin follow identity
    # catalog's products → the product read model (orders.products)
    subscribe("catalog.product.created", on_product_changed, reads=PRODUCT_FIELDS),
    subscribe("catalog.product.updated", on_product_changed, reads=PRODUCT_FIELDS),
    subscribe("catalog.product.deleted", on_product_deleted, reads=["product_id"]),
    # catalog's stock answers → the order saga (orders.ordering)
    subscribe("catalog.stock.reserved", on_stock_reserved, reads=["order_id"]),
    subscribe(
        "catalog.stock.rejected",
        on_stock_rejected,
        reads=[
            "order_id",
            "reason",
            "failed_lines[].product_id",
            "failed_lines[].requested",
            "failed_lines[].reason",
            "failed_lines[].available?",
            "failed_lines[].raw_product_id?",
        ],
    ),
]
