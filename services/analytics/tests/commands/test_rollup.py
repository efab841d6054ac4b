"""manage.py rollup: rebuilds the days asked for and says what it did."""

import uuid
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from analytics.usage.models import DailyActivity
from tests import events
from tests.conftest import utc

pytestmark = pytest.mark.django_db


def test_rollup_rebuilds_and_reports(ingest):
    user = uuid.uuid4()
    ingest(
        [
            events.placed(user, uuid.uuid4(), at=utc(2032, 1, 2, 3)),
            events.registered(user, at=utc(2032, 1, 3)),
        ]
    )
    DailyActivity.objects.update(orders_placed=40)
    out = StringIO()

    call_command("rollup", "--since", "2032-01-01", stdout=out)

    assert DailyActivity.objects.get().orders_placed == 1
    assert out.getvalue().strip() == (
        "rebuilt 2 days from events (1 activity rows, 0 revenue rows) and 0 days from request logs (0 rows)"
    )


def test_rollup_refuses_a_backwards_range_and_changes_nothing(ingest):
    ingest([events.placed(uuid.uuid4(), uuid.uuid4(), at=utc(2032, 1, 2, 3))])
    DailyActivity.objects.update(orders_placed=40)

    with pytest.raises(CommandError, match="after"):
        call_command("rollup", "--since", "2032-01-03", "--until", "2032-01-01")
    with pytest.raises(CommandError, match="not a date"):
        call_command("rollup", "--since", "yesterday")
    assert DailyActivity.objects.get().orders_placed == 40
