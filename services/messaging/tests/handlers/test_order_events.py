"""orders' events: one e-mail per step of an order's life, rendered and sent once, in the
customer's language; opt-outs, unknown and deactivated customers."""

import uuid

import pytest

from messaging.notifications.models import Notification, NotificationStatus
from messaging.notifications.services import notification_opt_out
from tests.factories import RecipientFactory

ORDER_ID = "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"
PRODUCT_ID = "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a"


def order_events(user_id):
    """One valid payload per order event messaging e-mails about, and the subject it gets."""
    line = {"product_id": PRODUCT_ID, "quantity": 2}
    base = {"order_id": ORDER_ID, "user_id": str(user_id)}
    return [
        (
            "orders.order.placed",
            {
                **base,
                "lines": [{**line, "name": "Desk lamp", "unit_price": "12.50", "currency": "EUR"}],
                "total": "25.00",
                "currency": "EUR",
            },
            "We received your order #1A2B3C4D",
            ["2 × Desk lamp", "Total: 25.00 EUR"],
        ),
        (
            "orders.order.confirmed",
            {**base, "total": "25.00", "currency": "EUR", "payment_due_at": "2026-03-14T12:30:00Z"},
            "Your order #1A2B3C4D is confirmed",
            ["Please pay by March 14, 2026, 12:30 p.m. UTC"],
        ),
        (
            "orders.order.paid",
            {**base, "amount": "25.00", "currency": "EUR", "lines": [line]},
            "Payment received for order #1A2B3C4D",
            ["Total: 25.00 EUR"],
        ),
        (
            "orders.order.shipped",
            {**base, "carrier": "Correos", "tracking_number": "PK123", "shipped_at": None, "lines": [line]},
            "Your order #1A2B3C4D has shipped",
            ["Carrier: Correos", "Tracking number: PK123"],
        ),
        (
            "orders.order.rejected",
            {**base, "reason": "Desk lamp: only 1 left", "failed_lines": []},
            "We could not accept your order #1A2B3C4D",
            ["Reason: Desk lamp: only 1 left", "nothing was charged"],
        ),
        (
            "orders.order.cancelled",
            {**base, "reason": "expired", "lines": [line]},
            "Your order #1A2B3C4D was cancelled",
            ["because it was not paid in time"],
        ),
    ]


def ids(case):
    return case[0]


@pytest.mark.django_db
@pytest.mark.parametrize("case", order_events(uuid.UUID(int=1)), ids=ids)
def test_each_order_event_sends_its_email_once(case, deliver_event, mailoutbox, captured_events, on_commit):
    event_type, data, subject, phrases = case
    recipient = RecipientFactory(user_id=data["user_id"], email="ada@example.com")

    with on_commit():
        outcome = deliver_event(event_type, data, subject=ORDER_ID)
    with on_commit():
        deliver_event.again(outcome.event)  # redelivered

    [mail] = mailoutbox
    assert (mail.subject, mail.to) == (subject, [recipient.email])
    assert mail.body.startswith("Hello Ada Lovelace,")
    for phrase in phrases:
        assert phrase in mail.body
    assert "turn off e-mails like this one" in mail.body
    [html] = [content for content, mimetype in mail.alternatives if mimetype == "text/html"]
    assert subject in html
    [sent] = captured_events.of_type("messaging.email.sent")
    assert (sent.data["source_event_id"], sent.data["source_event_type"]) == (outcome.event.id, event_type)


@pytest.mark.django_db
@pytest.mark.parametrize("case", order_events(uuid.UUID(int=2)), ids=ids)
def test_each_order_email_renders_in_spanish(case, deliver_event, mailoutbox, on_commit):
    event_type, data, english_subject, _ = case
    RecipientFactory(user_id=data["user_id"], language="es")

    with on_commit():
        deliver_event(event_type, data)

    [mail] = mailoutbox
    assert mail.subject != english_subject
    assert "#1A2B3C4D" in mail.subject
    assert mail.body.startswith("Hola, Ada Lovelace:")
    assert "El equipo de la plataforma" in mail.body
    assert mail.extra_headers["Content-Language"] == "es"


@pytest.mark.django_db
def test_spanish_amounts_and_dates_are_written_the_spanish_way(deliver_event, mailoutbox, on_commit):
    _, data, _, _ = order_events(uuid.UUID(int=3))[1]  # confirmed
    RecipientFactory(user_id=data["user_id"], language="es")

    with on_commit():
        deliver_event("orders.order.confirmed", data)

    [mail] = mailoutbox
    assert mail.subject == "Tu pedido #1A2B3C4D está confirmado"
    assert "Total: 25,00 EUR" in mail.body
    assert "14 de marzo de 2026" in mail.body


@pytest.mark.django_db
def test_an_opted_out_customer_gets_no_order_email(deliver_event, mailoutbox, captured_events, on_commit):
    _, data, _, _ = order_events(uuid.UUID(int=4))[2]  # paid
    RecipientFactory(user_id=data["user_id"])
    notification_opt_out(user_id=data["user_id"], kind="order_paid")

    with on_commit():
        deliver_event("orders.order.paid", data)

    assert mailoutbox == []
    assert Notification.objects.get().skip_reason == "opted_out"
    assert captured_events.of_type("messaging.email.sent") == []


@pytest.mark.django_db
def test_opting_out_of_one_kind_keeps_the_others(deliver_event, mailoutbox, on_commit):
    cases = order_events(uuid.UUID(int=5))
    RecipientFactory(user_id=cases[0][1]["user_id"])
    notification_opt_out(user_id=cases[0][1]["user_id"], kind="order_placed")

    with on_commit():
        for event_type, data, _, _ in cases[:3]:
            deliver_event(event_type, data)

    assert [mail.subject for mail in mailoutbox] == [
        "Your order #1A2B3C4D is confirmed",
        "Payment received for order #1A2B3C4D",
    ]


@pytest.mark.django_db
def test_a_customer_messaging_never_heard_of_gets_nothing(
    deliver_event, mailoutbox, captured_events, on_commit
):
    _, data, _, _ = order_events(uuid.UUID(int=6))[0]

    with on_commit():
        deliver_event("orders.order.placed", data)

    assert mailoutbox == []
    notification = Notification.objects.get()
    assert (notification.status, notification.skip_reason) == (
        NotificationStatus.SKIPPED,
        "unknown_recipient",
    )
    captured_events.assert_nothing_published()


@pytest.mark.django_db
def test_a_deactivated_customer_gets_no_order_email(deliver_event, mailoutbox, on_commit):
    _, data, _, _ = order_events(uuid.UUID(int=7))[5]
    RecipientFactory(user_id=data["user_id"], is_active=False)

    with on_commit():
        deliver_event("orders.order.cancelled", data)

    assert mailoutbox == []
    assert Notification.objects.get().skip_reason == "inactive_account"
