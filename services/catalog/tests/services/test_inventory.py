import uuid
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from catalog.inventory.models import StockAdjustment, StockReservation
from catalog.inventory.services import (
    product_create_with_stock,
    stock_adjust,
    stock_commit_for_order,
    stock_release_for_order,
    stock_reserve_for_order,
)
from catalog.products.models import Product
from servicekit.envelope.errors import Conflict
from tests.events import order_placed
from tests.factories import ProductFactory
from tests.stock import units_in_active_reservations

pytestmark = pytest.mark.django_db

Status = StockReservation.Status


def reserve(order_id, lines):
    return stock_reserve_for_order(
        order_id=order_id, user_id=str(uuid.uuid4()), lines=order_placed(order_id, lines)["lines"]
    )


def counters(product):
    product.refresh_from_db()
    return product.stock_on_hand, product.reserved


def test_reserve_holds_every_line_and_publishes_reserved(captured_events):
    mug, plate = ProductFactory(stock_on_hand=5), ProductFactory(stock_on_hand=2)
    order_id = uuid.uuid4()

    reservation = reserve(order_id, [(mug, 3), (plate, 2)])

    assert reservation.status == Status.RESERVED
    assert counters(mug) == (5, 3) and counters(plate) == (2, 2)
    event = captured_events.assert_published("catalog.stock.reserved").data
    assert event["order_id"] == str(order_id)
    assert sorted(event["lines"], key=lambda line: line["quantity"]) == [
        {"product_id": str(plate.pk), "quantity": 2},
        {"product_id": str(mug.pk), "quantity": 3},
    ]


def test_reserve_sums_repeated_lines_of_one_product():
    mug = ProductFactory(stock_on_hand=5)

    reserve(uuid.uuid4(), [(mug, 2), (mug, 3)])

    assert counters(mug) == (5, 5)


def test_reserve_is_all_or_nothing_and_says_which_lines_failed_and_why(captured_events):
    enough = ProductFactory(stock_on_hand=10)
    short = ProductFactory(stock_on_hand=3, reserved=2)
    inactive = ProductFactory(is_active=False)
    unknown = uuid.uuid4()
    order_id = uuid.uuid4()

    reservation = reserve(order_id, [(enough, 1), (short, 2), (inactive, 1), (unknown, 1)])

    assert reservation.status == Status.REJECTED
    assert counters(enough) == (10, 0) and counters(short) == (3, 2)  # nothing held
    assert not reservation.lines.exists()
    assert captured_events.of_type("catalog.stock.reserved") == []
    event = captured_events.assert_published("catalog.stock.rejected").data
    assert event["order_id"] == str(order_id) and event["reason"] == "lines_unavailable"
    assert sorted(event["failed_lines"], key=lambda line: line["reason"]) == [
        {"product_id": str(inactive.pk), "requested": 1, "available": 10, "reason": "inactive_product"},
        {"product_id": str(short.pk), "requested": 2, "available": 1, "reason": "insufficient_stock"},
        {"product_id": str(unknown), "requested": 1, "available": 0, "reason": "unknown_product"},
    ]


def test_reserve_rejection_with_one_cause_names_it(captured_events):
    short = ProductFactory(stock_on_hand=1)

    reserve(uuid.uuid4(), [(short, 2)])

    assert captured_events.assert_published("catalog.stock.rejected").data["reason"] == "insufficient_stock"


def test_reserving_again_for_the_same_order_holds_nothing_more_and_repeats_the_outcome(captured_events):
    mug = ProductFactory(stock_on_hand=5)
    order_id = uuid.uuid4()
    reserve(order_id, [(mug, 2)])

    again = reserve(order_id, [(mug, 2)])

    assert again.status == Status.RESERVED
    assert counters(mug) == (5, 2)
    assert StockReservation.objects.filter(order_id=order_id).count() == 1
    first, repeated = captured_events.of_type("catalog.stock.reserved")
    assert first.data == repeated.data


def test_release_gives_the_units_back_and_publishes_released(captured_events):
    mug = ProductFactory(stock_on_hand=5)
    order_id = uuid.uuid4()
    reserve(order_id, [(mug, 4)])

    reservation = stock_release_for_order(order_id=order_id, reason="expired")

    assert reservation.status == Status.RELEASED
    assert counters(mug) == (5, 0)
    assert captured_events.assert_published("catalog.stock.released").data == (
        {
            "order_id": str(order_id),
            "reason": "expired",
            "lines": [{"product_id": str(mug.pk), "quantity": 4}],
        }
    )


def test_release_twice_releases_once(captured_events):
    mug = ProductFactory(stock_on_hand=5)
    order_id = uuid.uuid4()
    reserve(order_id, [(mug, 4)])
    stock_release_for_order(order_id=order_id, reason="customer")

    stock_release_for_order(order_id=order_id, reason="customer")

    assert counters(mug) == (5, 0)
    assert len(captured_events.of_type("catalog.stock.released")) == 1


def test_a_cancellation_before_the_placement_means_the_late_placement_reserves_nothing(captured_events):
    mug = ProductFactory(stock_on_hand=5)
    order_id = uuid.uuid4()

    stock_release_for_order(order_id=order_id, reason="customer")
    reserve(order_id, [(mug, 2)])

    assert counters(mug) == (5, 0)
    captured_events.assert_nothing_published()


def test_commit_turns_the_reservation_into_a_stock_decrement():
    mug = ProductFactory(stock_on_hand=5)
    order_id = uuid.uuid4()
    reserve(order_id, [(mug, 3)])

    reservation = stock_commit_for_order(order_id=order_id)

    assert reservation.status == Status.COMMITTED
    assert counters(mug) == (2, 0)


def test_commit_twice_decrements_once():
    mug = ProductFactory(stock_on_hand=5)
    order_id = uuid.uuid4()
    reserve(order_id, [(mug, 3)])
    stock_commit_for_order(order_id=order_id)

    stock_commit_for_order(order_id=order_id)

    assert counters(mug) == (2, 0)


def test_payment_for_an_order_without_reservation_changes_nothing():
    mug = ProductFactory(stock_on_hand=5)

    assert stock_commit_for_order(order_id=uuid.uuid4()) is None

    assert counters(mug) == (5, 0)


def test_cancelling_a_rejected_order_changes_nothing(captured_events):
    mug = ProductFactory(stock_on_hand=5)
    order_id = uuid.uuid4()
    reserve(order_id, [(mug, 9)])

    stock_release_for_order(order_id=order_id, reason="customer")

    assert counters(mug) == (5, 0)
    assert StockReservation.objects.get(order_id=order_id).status == Status.REJECTED
    assert captured_events.of_type("catalog.stock.released") == []


def test_cancelling_a_committed_order_returns_its_units_once(captured_events):
    mug, plate = ProductFactory(stock_on_hand=5), ProductFactory(stock_on_hand=4, reserved=1)
    order_id = uuid.uuid4()
    reserve(order_id, [(mug, 3), (plate, 2)])
    stock_commit_for_order(order_id=order_id)
    assert counters(mug) == (2, 0) and counters(plate) == (2, 1)

    returned = stock_release_for_order(order_id=order_id, reason="staff")
    again = stock_release_for_order(order_id=order_id, reason="staff")

    assert returned.status == again.status == Status.RETURNED and returned.reason == "staff"
    assert counters(mug) == (5, 0) and counters(plate) == (4, 1)  # another order's hold untouched
    assert captured_events.of_type("catalog.stock.released") == []


def test_paying_a_returned_order_again_takes_nothing():
    mug = ProductFactory(stock_on_hand=5)
    order_id = uuid.uuid4()
    reserve(order_id, [(mug, 3)])
    stock_commit_for_order(order_id=order_id)
    stock_release_for_order(order_id=order_id, reason="customer")

    stock_commit_for_order(order_id=order_id)

    assert counters(mug) == (5, 0)


def test_returning_the_units_of_a_deleted_product_skips_it():
    mug, plate = ProductFactory(stock_on_hand=5), ProductFactory(stock_on_hand=5)
    order_id = uuid.uuid4()
    reserve(order_id, [(mug, 1), (plate, 2)])
    stock_commit_for_order(order_id=order_id)
    Product.objects.filter(pk=mug.pk).delete()

    returned = stock_release_for_order(order_id=order_id, reason="customer")

    assert returned.status == Status.RETURNED
    assert counters(plate) == (5, 0)


def test_paying_a_released_order_changes_nothing():
    mug = ProductFactory(stock_on_hand=5)
    order_id = uuid.uuid4()
    reserve(order_id, [(mug, 3)])
    stock_release_for_order(order_id=order_id, reason="expired")

    stock_commit_for_order(order_id=order_id)

    assert counters(mug) == (5, 0)


def test_reserved_counter_matches_the_active_reservations():
    mug = ProductFactory(stock_on_hand=10)
    first, second, third = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    reserve(first, [(mug, 2)])
    reserve(second, [(mug, 3)])
    reserve(third, [(mug, 4)])
    stock_release_for_order(order_id=first, reason="customer")
    stock_commit_for_order(order_id=second)

    assert counters(mug) == (7, 4)
    assert units_in_active_reservations(product_id=mug.pk) == 4


def test_stock_adjust_changes_on_hand_and_records_who_and_why():
    mug = ProductFactory(stock_on_hand=5)

    adjustment = stock_adjust(product=mug, delta=-2, reason="damaged in transit", actor_id="staff-1")

    assert counters(mug) == (3, 0)
    assert (adjustment.stock_before, adjustment.stock_after, adjustment.actor_id) == (5, 3, "staff-1")


def test_stock_adjust_cannot_go_below_the_reserved_units():
    mug = ProductFactory(stock_on_hand=5, reserved=4)

    with pytest.raises(Conflict) as error:
        stock_adjust(product=mug, delta=-2, reason="count", actor_id="staff-1")

    assert error.value.code == "stock_below_reserved"
    assert counters(mug) == (5, 4)
    assert not StockAdjustment.objects.exists()


@pytest.mark.parametrize(("delta", "reason"), [(0, "nothing"), (3, "   ")])
def test_stock_adjust_needs_a_change_and_a_reason(delta, reason):
    mug = ProductFactory(stock_on_hand=5)

    with pytest.raises(ValidationError):
        stock_adjust(product=mug, delta=delta, reason=reason, actor_id="staff-1")

    assert Product.objects.get(pk=mug.pk).stock_on_hand == 5


@pytest.mark.parametrize(("on_hand", "delta"), [(5, 2**31), (5, -(2**31)), (2**31 - 10, 11)])
def test_stock_adjust_refuses_to_leave_the_integer_range(on_hand, delta):
    mug = ProductFactory(stock_on_hand=on_hand)

    with pytest.raises(ValidationError) as error:
        stock_adjust(product=mug, delta=delta, reason="count", actor_id="staff-1")

    assert "delta" in error.value.message_dict
    assert Product.objects.get(pk=mug.pk).stock_on_hand == on_hand
    assert not StockAdjustment.objects.exists()


def test_stock_adjust_may_fill_up_to_the_largest_integer():
    mug = ProductFactory(stock_on_hand=5)

    adjustment = stock_adjust(product=mug, delta=2**31 - 6, reason="count", actor_id="staff-1")

    assert adjustment.stock_after == 2**31 - 1


def create_with_stock(stock):
    return product_create_with_stock(
        vendor_id="vendor-1",
        sku="MUG-1",
        name="Blue mug",
        price=Decimal("12.50"),
        currency="USD",
        stock=stock,
    )


def test_a_product_created_with_stock_records_it_as_its_first_adjustment(captured_events):
    product = create_with_stock(5)

    assert (product.stock_on_hand, product.reserved, product.available) == (5, 0, 5)
    assert counters(product) == (5, 0)
    [adjustment] = StockAdjustment.objects.filter(product=product)
    assert (adjustment.delta, adjustment.stock_before, adjustment.stock_after) == (5, 0, 5)
    assert (adjustment.reason, adjustment.actor_id) == ("initial stock", "vendor-1")
    captured_events.assert_published("catalog.product.created")


@pytest.mark.parametrize("stock", [-1, 2**31])  # 2**31: beyond Postgres integer
def test_a_product_created_with_stock_out_of_range_is_refused_without_side_effects(stock, captured_events):
    with pytest.raises(ValidationError) as error:
        create_with_stock(stock)

    assert "stock" in error.value.message_dict
    assert not Product.objects.exists()
    captured_events.assert_nothing_published()
