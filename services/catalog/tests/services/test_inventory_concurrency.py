"""Many checkouts at once, on real connections: nothing is oversold, the books balance."""

import random
import uuid

import pytest

from catalog.inventory.models import StockReservation
from catalog.inventory.services import (
    stock_commit_for_order,
    stock_release_for_order,
    stock_reserve_for_order,
)
from tests.concurrency import run_concurrently
from tests.factories import ProductFactory
from tests.stock import units_in_active_reservations

Status = StockReservation.Status
THREADS = 16  # concurrent connections; Postgres is shared with other suites


def line(product, quantity):
    return {"product_id": str(product.pk), "quantity": quantity, "unit_price": "1.00", "currency": "USD"}


@pytest.mark.django_db(transaction=True)
def test_concurrent_reservations_never_oversell():
    lamp, bulb = ProductFactory(stock_on_hand=7), ProductFactory(stock_on_hand=12)
    orders = []
    for _ in range(THREADS):
        lines = [line(lamp, 1), line(bulb, 1)]
        random.shuffle(lines)  # opposite lock orders would deadlock without the id ordering
        orders.append((uuid.uuid4(), lines))

    errors = run_concurrently(
        [
            lambda order_id=order_id, lines=lines: stock_reserve_for_order(
                order_id=order_id, user_id="u", lines=lines
            )
            for order_id, lines in orders
        ]
    )

    assert errors == []
    lamp.refresh_from_db()
    bulb.refresh_from_db()
    reserved = StockReservation.objects.filter(status=Status.RESERVED).count()
    rejected = StockReservation.objects.filter(status=Status.REJECTED).count()
    assert (reserved, rejected) == (7, THREADS - 7)  # exactly as many orders as lamps
    assert (lamp.stock_on_hand, lamp.reserved) == (7, 7)
    assert (bulb.stock_on_hand, bulb.reserved) == (12, 7)
    assert units_in_active_reservations(product_id=lamp.pk) == lamp.reserved
    assert units_in_active_reservations(product_id=bulb.pk) == bulb.reserved


@pytest.mark.django_db(transaction=True)
def test_concurrent_reserve_release_and_commit_keep_the_totals():
    lamp = ProductFactory(stock_on_hand=20)
    placed = [uuid.uuid4() for _ in range(10)]
    for order_id in placed:
        stock_reserve_for_order(order_id=order_id, user_id="u", lines=[line(lamp, 2)])
    to_commit, to_release = placed[:5], placed[5:]
    newcomers = [uuid.uuid4() for _ in range(THREADS - len(placed))]

    jobs = [lambda o=o: stock_commit_for_order(order_id=o) for o in to_commit]
    jobs += [lambda o=o: stock_release_for_order(order_id=o, reason="expired") for o in to_release]
    jobs += [
        lambda o=o: stock_reserve_for_order(order_id=o, user_id="u", lines=[line(lamp, 3)]) for o in newcomers
    ]
    assert run_concurrently(jobs) == []

    lamp.refresh_from_db()
    newly_reserved = StockReservation.objects.filter(order_id__in=newcomers, status=Status.RESERVED).count()
    assert lamp.stock_on_hand == 20 - 5 * 2  # five paid orders of two
    assert 0 <= lamp.reserved <= lamp.stock_on_hand
    assert lamp.reserved == units_in_active_reservations(product_id=lamp.pk) == newly_reserved * 3
    # Only released units were ever free (10, depending on timing): never more was promised.
    assert newly_reserved * 3 <= 10
