"""/payments/3ds/<provider payment id>/: the test provider's 3-D Secure page. Its buttons finish
the challenge by the provider's signed webhook, as a real provider's page would."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from orders.ordering.models import OrderStatus
from orders.payments.models import Payment, PaymentStatus, WebhookEvent
from orders.payments.providers.card_numbers import REQUIRES_3DS, SUCCEEDS
from orders.payments.services import payment_create
from tests.factories import OrderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def waiting_payment() -> Payment:
    order = OrderFactory(status=OrderStatus.CONFIRMED)
    return payment_create(user_id=order.user_id, order_id=order.id, payment_method=REQUIRES_3DS)


def page_path(payment: Payment) -> str:
    return f"/payments/3ds/{payment.provider_payment_id}/"


def test_a_3ds_payment_sends_its_customer_to_the_page_on_the_gateway(waiting_payment, settings):
    assert waiting_payment.status == PaymentStatus.REQUIRES_ACTION
    assert waiting_payment.next_action == {
        "type": "three_d_secure",
        "redirect_url": f"{settings.ORDERS['SITE_URL']}{page_path(waiting_payment)}",
    }


def test_the_page_shows_the_payment_and_both_buttons(waiting_payment):
    response = Client().get(page_path(waiting_payment))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert response["Cache-Control"] == "no-store"
    page = response.content.decode()
    assert str(waiting_payment.id) in page and "requires_action" in page
    assert re.findall(r'name="outcome" value="(\w+)"', page) == ["complete", "fail"]


def test_complete_pays_the_order_through_the_signed_webhook(waiting_payment, captured_events):
    response = Client().post(page_path(waiting_payment), {"outcome": "complete"})

    assert response.status_code == 303
    assert response["Location"] == page_path(waiting_payment)
    waiting_payment.refresh_from_db()
    assert waiting_payment.status == PaymentStatus.SUCCEEDED
    assert waiting_payment.order.status == OrderStatus.PAID
    captured_events.assert_published("orders.order.paid", payment_id=str(waiting_payment.id))
    # The provider's webhook, recorded once like any other (idempotent by its event id).
    event = WebhookEvent.objects.get(provider="test")
    assert (event.event_type, event.outcome) == ("payment.succeeded", "payment_succeeded")
    page = Client().get(page_path(waiting_payment)).content.decode()
    assert 'name="outcome"' not in page and "succeeded" in page


def test_fail_fails_the_payment_and_the_order_stays_payable(waiting_payment, captured_events):
    response = Client().post(page_path(waiting_payment), {"outcome": "fail"})

    assert response.status_code == 303
    waiting_payment.refresh_from_db()
    assert (waiting_payment.status, waiting_payment.failure_code) == ("failed", "authentication_failed")
    assert waiting_payment.order.status == OrderStatus.CONFIRMED
    captured_events.assert_published("orders.payment.failed", payment_id=str(waiting_payment.id))


def test_a_second_press_changes_nothing(waiting_payment):
    Client().post(page_path(waiting_payment), {"outcome": "complete"})
    response = Client().post(page_path(waiting_payment), {"outcome": "fail"})

    assert response.status_code == 303
    waiting_payment.refresh_from_db()
    assert waiting_payment.status == PaymentStatus.SUCCEEDED
    assert WebhookEvent.objects.count() == 1


def test_an_unknown_outcome_is_a_validation_error_and_changes_nothing(waiting_payment, captured_events):
    response = Client().post(page_path(waiting_payment), {"outcome": "maybe"})

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
    assert "outcome" in response.json()["error"]["details"]
    waiting_payment.refresh_from_db()
    assert waiting_payment.status == PaymentStatus.REQUIRES_ACTION
    captured_events.assert_nothing_published()


def test_an_unknown_payment_is_a_404(db):
    response = Client().get("/payments/3ds/test_pi_0123456789abcdef0123456789abcdef/")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_a_settled_payment_shows_its_outcome_without_buttons():
    order = OrderFactory(status=OrderStatus.CONFIRMED)
    payment = payment_create(user_id=order.user_id, order_id=order.id, payment_method=SUCCEEDS)

    page = Client().get(page_path(payment)).content.decode()

    assert 'name="outcome"' not in page and "succeeded" in page


def test_without_the_test_provider_there_is_no_page(waiting_payment, settings, captured_events):
    settings.ORDERS = {**settings.ORDERS, "PAYMENT_PROVIDERS": []}

    assert Client().get(page_path(waiting_payment)).status_code == 404
    assert Client().post(page_path(waiting_payment), {"outcome": "complete"}).status_code == 404
    waiting_payment.refresh_from_db()
    assert waiting_payment.status == PaymentStatus.REQUIRES_ACTION
    captured_events.assert_nothing_published()


def test_the_buttons_need_the_pages_csrf_token(waiting_payment):
    browser = Client(enforce_csrf_checks=True)
    assert browser.post(page_path(waiting_payment), {"outcome": "complete"}).status_code == 403

    page = browser.get(page_path(waiting_payment)).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    response = browser.post(page_path(waiting_payment), {"outcome": "complete", "csrfmiddlewaretoken": token})

    assert response.status_code == 303
    waiting_payment.refresh_from_db()
    assert waiting_payment.status == PaymentStatus.SUCCEEDED
