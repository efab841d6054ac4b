"""manage.py payments_test_webhook settles a 3-D Secure test payment."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from orders.ordering.models import OrderStatus
from orders.payments.providers.card_numbers import REQUIRES_3DS
from orders.payments.services import payment_create
from tests.factories import OrderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def waiting_payment():
    order = OrderFactory(status=OrderStatus.CONFIRMED)
    return payment_create(user_id=order.user_id, order_id=order.id, payment_method=REQUIRES_3DS)


def test_success_pays_the_order(waiting_payment, captured_events):
    out = StringIO()

    call_command("payments_test_webhook", str(waiting_payment.id), stdout=out)

    assert "payment_succeeded" in out.getvalue()
    waiting_payment.order.refresh_from_db()
    assert waiting_payment.order.status == OrderStatus.PAID
    captured_events.assert_published("orders.order.paid", payment_id=str(waiting_payment.id))


def test_failure_fails_the_payment(waiting_payment):
    call_command("payments_test_webhook", str(waiting_payment.id), fail=True, stdout=StringIO())

    waiting_payment.refresh_from_db()
    assert (waiting_payment.status, waiting_payment.failure_code) == ("failed", "authentication_failed")


def test_print_only_changes_nothing(waiting_payment, captured_events):
    out = StringIO()

    call_command("payments_test_webhook", str(waiting_payment.id), print_only=True, stdout=out)

    assert out.getvalue().startswith("curl -X POST -H 'X-Test-Provider-Signature: t=")
    captured_events.assert_nothing_published()


def test_unknown_payment():
    with pytest.raises(CommandError):
        call_command("payments_test_webhook", "00000000-0000-0000-0000-000000000000", stdout=StringIO())


def test_a_payment_id_that_is_not_a_uuid_is_a_command_error():
    with pytest.raises(CommandError, match="not a payment id"):
        call_command("payments_test_webhook", "nope", stdout=StringIO())
