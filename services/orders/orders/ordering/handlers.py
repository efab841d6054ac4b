"""catalog's stock events → the order saga (thin adapters over the services).

A stock answer for an order that already moved on (cancelled by its owner while catalog
was reserving, cancelled by the sweep because catalog took longer than
``ORDER_PENDING_TIMEOUT_SECONDS``, or a duplicate) is an illegal transition: it is logged and
dropped (the handler returns normally, so the event is acknowledged, never dead-lettered),
never forced through and never retried. Releasing what catalog reserved for a cancelled order is
catalog's side of ``orders.order.cancelled``.
"""

from __future__ import annotations

import logging
import uuid

from orders.ordering.services import order_confirm, order_reject
from servicekit.envelope.errors import Conflict, NotFound

logger = logging.getLogger(__name__)


def on_stock_reserved(event) -> None:
    order_id = _order_id(event)
    if order_id is None:
        return
    try:
        order_confirm(order_id=order_id)
    except (Conflict, NotFound) as exc:
        logger.warning("catalog.stock.reserved for order %s ignored: %s", order_id, exc.message)


def on_stock_rejected(event) -> None:
    order_id = _order_id(event)
    if order_id is None:
        return
    try:
        # order_reject reduces reason and failed_lines to what it can store and republish.
        order_reject(
            order_id=order_id,
            reason=event.data.get("reason"),
            failed_lines=event.data.get("failed_lines"),
        )
    except (Conflict, NotFound) as exc:
        logger.warning("catalog.stock.rejected for order %s ignored: %s", order_id, exc.message)


def _order_id(event) -> uuid.UUID | None:
    """The order the answer is about; None (logged, the event acknowledged) if it names none.

    Retrying cannot make a missing or malformed ``order_id`` valid, so such an event is not
    sent round the retries into the dead-letter queue.
    """
    raw = event.data.get("order_id")
    try:
        return uuid.UUID(raw)
    except (TypeError, ValueError, AttributeError):  # None, not hex, not a string
        logger.error("%s %s names no order (order_id=%.100r); dropped", event.type, event.id, raw)
        return None
