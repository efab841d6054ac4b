"""Order reads: who sees what, filters by status and date."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from orders.ordering.models import OrderStatus
from orders.ordering.selectors import order_get, order_list
from servicekit.auth import Principal
from tests.factories import OrderFactory

pytestmark = pytest.mark.django_db


def _customer(user_id) -> Principal:
    return Principal(id=str(user_id), roles=frozenset({"customer"}))


STAFF = Principal(id=str(uuid.uuid4()), roles=frozenset({"staff"}))


def test_customers_get_their_own_orders_newest_first():
    owner = uuid.uuid4()
    older = OrderFactory(user_id=owner, placed_at=timezone.now() - timedelta(hours=1))
    newer = OrderFactory(user_id=owner)
    OrderFactory()

    assert list(order_list(principal=_customer(owner))) == [newer, older]


def test_staff_get_everyones_and_can_narrow_by_user():
    first, second = OrderFactory(), OrderFactory()

    assert set(order_list(principal=STAFF)) == {first, second}
    assert list(order_list(principal=STAFF, user_id=first.user_id)) == [first]


def test_customers_cannot_widen_with_user_id():
    owner = uuid.uuid4()
    someone_else = OrderFactory()

    assert list(order_list(principal=_customer(owner), user_id=someone_else.user_id)) == []


def test_status_filter_takes_several_statuses():
    owner = uuid.uuid4()
    paid = OrderFactory(user_id=owner, status=OrderStatus.PAID)
    shipped = OrderFactory(user_id=owner, status=OrderStatus.SHIPPED)
    OrderFactory(user_id=owner, status=OrderStatus.PENDING)

    assert set(order_list(principal=_customer(owner), statuses=["paid", "shipped"])) == {paid, shipped}


def test_date_filters_are_inclusive_whole_days_in_utc():
    owner = uuid.uuid4()
    day = date(2026, 3, 10)
    start = OrderFactory(user_id=owner, placed_at=datetime(2026, 3, 10, 0, 0, tzinfo=UTC))
    end = OrderFactory(user_id=owner, placed_at=datetime(2026, 3, 10, 23, 59, 59, tzinfo=UTC))
    OrderFactory(user_id=owner, placed_at=datetime(2026, 3, 11, 0, 0, tzinfo=UTC))
    OrderFactory(user_id=owner, placed_at=datetime(2026, 3, 9, 23, 59, tzinfo=UTC))

    assert set(order_list(principal=_customer(owner), placed_from=day, placed_to=day)) == {start, end}


def test_listing_loads_lines_without_a_query_per_order():
    owner = uuid.uuid4()
    for _ in range(5):
        OrderFactory(user_id=owner, lines=3)

    with CaptureQueriesContext(connection) as queries:
        orders = list(order_list(principal=_customer(owner)))
        assert sum(len(order.lines.all()) for order in orders) == 15

    assert len(queries) == 2


def test_order_get_returns_none_for_an_unknown_id():
    assert order_get(order_id=uuid.uuid4()) is None
