"""Daily usage kept up to date event by event equals the exact rebuild from the raw rows."""

import dataclasses
import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest

from analytics.usage.models import DailyActivity, DailyRequests, DailyRevenue
from analytics.usage.selectors import UsageDay, usage_days
from analytics.usage.services import usage_rollup
from tests import events
from tests.conftest import request, utc

pytestmark = pytest.mark.django_db

ALICE, BOB, CAROL = uuid.UUID(int=1), uuid.UUID(int=2), uuid.UUID(int=3)
DAY1, DAY2 = utc(2031, 5, 1), utc(2031, 5, 2)
LAST_INSTANT_OF_DAY1 = DAY2 - timedelta(microseconds=1)
CURRENCIES = ["USD", "EUR", "GBP"]


def _varied_events():
    """Everything the rules distinguish: days meeting at midnight, currencies, refunds, amounts
    needing rounding, media of every kind, users that are no UUID, versions and types no rule
    takes, and a redelivery."""
    order = uuid.uuid4()
    placed = events.placed(ALICE, order, at=DAY1)
    return [
        placed,
        placed,  # redelivered
        events.placed(ALICE, uuid.uuid4(), at=LAST_INSTANT_OF_DAY1),
        events.placed(ALICE, uuid.uuid4(), at=DAY2),
        events.placed(BOB, uuid.uuid4(), at=DAY2 + timedelta(hours=5)),
        events.paid(ALICE, order, at=DAY1 + timedelta(hours=1), amount="10.00"),
        events.paid(ALICE, uuid.uuid4(), at=DAY1 + timedelta(hours=2), amount="0.00005"),  # rounds up
        events.paid(ALICE, uuid.uuid4(), at=DAY1 + timedelta(hours=3), amount="0.00004"),  # rounds down
        events.paid(ALICE, uuid.uuid4(), at=DAY1 + timedelta(hours=3), amount="99.99", currency="EUR"),
        events.refunded(ALICE, order, at=DAY2, amount="10.00"),
        events.paid(BOB, uuid.uuid4(), at=DAY2, amount="7.25", currency="EUR"),
        events.refunded(BOB, uuid.uuid4(), at=DAY2, amount="7.25", currency="EUR"),  # nets to zero
        events.paid(BOB, uuid.uuid4(), at=DAY2, amount="not money"),
        events.paid(BOB, uuid.uuid4(), at=DAY2, amount="1.00", currency="usd"),
        events.message_sent(ALICE, uuid.uuid4(), at=DAY1),
        events.message_sent(ALICE, uuid.uuid4(), at=DAY1, kind="image"),
        events.message_sent(ALICE, uuid.uuid4(), at=DAY1, kind="document"),
        events.message_sent(ALICE, uuid.uuid4(), at=DAY1, kind="text"),
        events.message_sent(BOB, uuid.uuid4(), at=DAY1, kind="video"),
        events.message_sent(BOB, uuid.uuid4(), at=DAY1, kind="audio"),
        events.event("messaging.message.sent", {"user_id": str(BOB)}, at=DAY1),  # no kind: a text
        events.build_published(CAROL, uuid.uuid4(), at=DAY2),
        events.build_published(CAROL, uuid.uuid4(), at=DAY2),
        events.event("builds.build.published", {"creator": {"user_id": None}}, at=DAY2),  # a CI token
        events.event("orders.order.placed", {"user_id": str(CAROL)}, at=DAY2, version=2),
        events.message_delivered(uuid.uuid4(), at=DAY1),
        events.registered(CAROL, at=DAY1),
    ]


def _requests():
    return [
        request(at=DAY1, user=ALICE),
        request(at=LAST_INSTANT_OF_DAY1, user=ALICE, status=404, error_code="not_found"),
        request(at=DAY2, user=ALICE),
        request(at=DAY2, user=CAROL, service="builds"),
        request(at=DAY2),  # anonymous: nobody's usage
        request(at=DAY2, user="not-a-uuid"),
    ]


EXPECTED = [
    UsageDay(
        ALICE,
        DAY1.date(),
        api_requests=2,
        messages_sent=4,
        media_sent=2,
        orders_placed=2,
        revenue={"EUR": Decimal("99.9900"), "USD": Decimal("10.0001")},
    ),
    UsageDay(BOB, DAY1.date(), messages_sent=3, media_sent=2),
    UsageDay(ALICE, DAY2.date(), api_requests=1, orders_placed=1, revenue={"USD": Decimal("-10.0000")}),
    UsageDay(BOB, DAY2.date(), orders_placed=1, revenue={"EUR": Decimal("0.0000")}),
    UsageDay(CAROL, DAY2.date(), api_requests=1, builds_published=2),
]


@pytest.fixture
def usage(ingest, request_log_stream):
    ingest(_varied_events(), batch=7)
    request_log_stream.ship(*_requests()[:4])
    request_log_stream.ship(*_requests()[4:])
    request_log_stream.ingest(max_entries=1)
    request_log_stream.ingest(max_entries=1)
    return usage_days()


def test_incremental_usage_has_the_expected_numbers(usage):
    assert usage == EXPECTED


def test_the_rollup_rebuilds_exactly_the_same_numbers(usage):
    result = usage_rollup()

    assert usage_days() == usage == EXPECTED
    assert (result.event_days, result.request_log_days) == (
        [DAY1.date(), DAY2.date()],
        [DAY1.date(), DAY2.date()],
    )
    assert (result.activity_rows, result.revenue_rows, result.request_rows) == (5, 4, 3)


def test_the_rollup_repairs_numbers_that_went_wrong(usage):
    DailyActivity.objects.filter(user_id=ALICE).update(orders_placed=99)
    DailyRevenue.objects.filter(user_id=BOB).delete()
    DailyRequests.objects.create(user_id=uuid.uuid4(), day=DAY1.date(), api_requests=5)

    usage_rollup()

    assert usage_days() == EXPECTED


def test_the_rollup_of_some_days_leaves_the_others_alone(usage):
    DailyActivity.objects.filter(user_id=ALICE).update(orders_placed=99)

    result = usage_rollup(since=DAY2.date(), until=DAY2.date())

    assert result.event_days == [DAY2.date()]
    assert DailyActivity.objects.get(user_id=ALICE, day=DAY1.date()).orders_placed == 99
    assert DailyActivity.objects.get(user_id=ALICE, day=DAY2.date()).orders_placed == 1


def test_a_users_own_usage_and_a_date_range(usage):
    assert usage_days(user_id=str(ALICE)) == [EXPECTED[0], EXPECTED[2]]
    assert usage_days(since=DAY2.date(), until=DAY2.date()) == EXPECTED[2:]
    assert usage_days(user_id=uuid.uuid4()) == []


def test_incremental_and_rollup_agree_on_many_random_events(ingest):
    import random

    rng = random.Random(21)
    users = [uuid.uuid4() for _ in range(12)]
    makers = [
        lambda user, at: events.placed(user, uuid.uuid4(), at=at),
        lambda user, at: events.paid(
            user,
            uuid.uuid4(),
            at=at,
            amount=f"{rng.randint(0, 99999) / 1000:.3f}",
            currency=rng.choice(CURRENCIES),
        ),
        lambda user, at: events.refunded(
            user, uuid.uuid4(), at=at, amount=f"{rng.randint(0, 9999) / 100:.2f}"
        ),
        lambda user, at: events.message_sent(
            user, uuid.uuid4(), at=at, kind=rng.choice(["text", "image", "document"])
        ),
        lambda user, at: events.build_published(user, uuid.uuid4(), at=at),
    ]
    batch = [
        rng.choice(makers)(
            rng.choice(users), utc(2031, 7, 1) + timedelta(minutes=rng.randint(0, 60 * 24 * 5 - 1))
        )
        for _ in range(600)
    ]
    batch += [dataclasses.replace(rng.choice(batch)) for _ in range(50)]  # redeliveries
    ingest(batch, batch=97)
    incremental = usage_days()

    usage_rollup()

    assert usage_days() == incremental
    assert sum(day.orders_placed + day.messages_sent + day.builds_published for day in incremental) > 300
    assert {day.day for day in incremental} == {date(2031, 7, n) for n in range(1, 6)}
