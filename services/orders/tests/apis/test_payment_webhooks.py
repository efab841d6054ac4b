"""POST /api/v1/payments/webhooks/<provider>/: HMAC-verified, idempotent by provider event id."""

from __future__ import annotations

import json
import time
import uuid

import pytest
from rest_framework.test import APIClient

from orders.ordering.models import Order, OrderStatus
from orders.payments.models import Payment, PaymentStatus, WebhookEvent
from orders.payments.providers import ProviderUnavailable, signatures
from orders.payments.providers.card_numbers import REQUIRES_3DS, SIGNATURE_HEADER, SUCCEEDS, TestCardProvider
from orders.payments.services import payment_create
from servicekit.envelope.errors import ApplicationError
from servicekit.events.models import OutboxEvent
from servicekit.testing.concurrency import results_concurrently
from tests.factories import OrderFactory

URL = "/api/v1/payments/webhooks/test/"


@pytest.fixture
def secret(settings):
    return settings.ORDERS["PAYMENT_WEBHOOK_SECRET"]


@pytest.fixture
def waiting_payment(db) -> Payment:
    """A payment waiting for its 3-D Secure challenge to be settled by a webhook."""
    order = OrderFactory(status=OrderStatus.CONFIRMED)
    return payment_create(user_id=order.user_id, order_id=order.id, payment_method=REQUIRES_3DS)


def _post(body: bytes, headers: dict[str, str]):
    extra = {
        f"HTTP_{name.upper().replace('-', '_')}": value
        for name, value in headers.items()
        if name != "Content-Type"
    }
    return APIClient().post(URL, data=body, content_type="application/json", **extra)


def _webhook(payment, secret, event_type="payment.succeeded", **kwargs):
    return TestCardProvider.webhook(
        event_type, secret=secret, provider_payment_id=payment.provider_payment_id, **kwargs
    )


@pytest.mark.django_db
def test_a_signed_success_pays_the_order_without_any_credentials(waiting_payment, secret, captured_events):
    response = _post(*_webhook(waiting_payment, secret))

    assert response.status_code == 200
    assert response.json()["data"]["is_duplicate"] is False
    assert response.json()["data"]["outcome"] == "payment_succeeded"
    waiting_payment.refresh_from_db()
    assert waiting_payment.status == PaymentStatus.SUCCEEDED
    assert Order.objects.get(id=waiting_payment.order_id).status == OrderStatus.PAID
    captured_events.assert_published("orders.order.paid", payment_id=str(waiting_payment.id))


@pytest.mark.django_db
def test_a_signed_failure_fails_the_payment(waiting_payment, secret, captured_events):
    response = _post(
        *_webhook(
            waiting_payment,
            secret,
            "payment.failed",
            failure_code="authentication_failed",
            failure_message="3DS failed",
        )
    )

    assert response.status_code == 200
    waiting_payment.refresh_from_db()
    assert (waiting_payment.status, waiting_payment.failure_code) == (
        PaymentStatus.FAILED,
        "authentication_failed",
    )
    assert Order.objects.get(id=waiting_payment.order_id).status == OrderStatus.CONFIRMED
    captured_events.assert_published("orders.payment.failed", failure_code="authentication_failed")


@pytest.mark.django_db
def test_a_replayed_event_id_is_acknowledged_and_ignored(waiting_payment, secret, captured_events):
    body, headers = _webhook(waiting_payment, secret, event_id="evt_1")
    _post(body, headers)

    replay = _post(body, headers)

    assert replay.status_code == 200
    assert replay.json()["data"]["is_duplicate"] is True
    assert WebhookEvent.objects.count() == 1
    assert len(captured_events.of_type("orders.order.paid")) == 1


@pytest.mark.django_db
def test_a_different_event_with_the_same_outcome_changes_nothing_more(
    waiting_payment, secret, captured_events
):
    _post(*_webhook(waiting_payment, secret, event_id="evt_1"))

    second = _post(*_webhook(waiting_payment, secret, event_id="evt_2"))

    assert second.json()["data"]["is_duplicate"] is False
    assert len(captured_events.of_type("orders.order.paid")) == 1


def _tampered(payment, secret):
    body, headers = _webhook(payment, secret)
    return body.replace(b"payment.succeeded", b"payment.failed"), headers


def _wrong_secret(payment, secret):
    return _webhook(payment, "not-the-secret")


def _stale(payment, secret):
    return _webhook(payment, secret, timestamp=int(time.time()) - 301)


def _unsigned(payment, secret):
    body, _ = _webhook(payment, secret)
    return body, {}


def _garbled_header(payment, secret):
    body, headers = _webhook(payment, secret)
    return body, {name: "t=abc,v1=zz" for name in headers if name != "Content-Type"}


@pytest.mark.django_db
@pytest.mark.parametrize("forge", [_tampered, _wrong_secret, _stale, _unsigned, _garbled_header])
def test_an_unverifiable_webhook_is_refused_and_changes_nothing(
    waiting_payment, secret, captured_events, forge
):
    response = _post(*forge(waiting_payment, secret))

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_signature"
    waiting_payment.refresh_from_db()
    assert waiting_payment.status == PaymentStatus.REQUIRES_ACTION
    assert WebhookEvent.objects.count() == 0
    captured_events.assert_nothing_published()


@pytest.mark.django_db
def test_the_signature_uses_the_configured_secret(waiting_payment, settings, captured_events):
    settings.ORDERS = {**settings.ORDERS, "PAYMENT_WEBHOOK_SECRET": "rotated"}

    assert _post(*_webhook(waiting_payment, "rotated")).status_code == 200


@pytest.mark.django_db
def test_an_unknown_provider_is_404(waiting_payment, secret):
    body, headers = _webhook(waiting_payment, secret)
    extra = {f"HTTP_{name.upper().replace('-', '_')}": value for name, value in headers.items()}

    response = APIClient().post(
        "/api/v1/payments/webhooks/stripe/", data=body, content_type="application/json", **extra
    )

    assert (response.status_code, response.json()["error"]["code"]) == (404, "unknown_provider")


@pytest.mark.django_db
def test_an_event_about_an_unknown_payment_is_acknowledged(secret, captured_events):
    body, headers = TestCardProvider.webhook(
        "payment.succeeded", secret=secret, provider_payment_id="test_pi_nope"
    )

    response = _post(body, headers)

    assert (response.status_code, response.json()["data"]["outcome"]) == (200, "unknown_payment")
    captured_events.assert_nothing_published()


@pytest.mark.django_db
def test_an_unhandled_event_type_is_recorded_and_ignored(waiting_payment, secret):
    response = _post(*_webhook(waiting_payment, secret, "payment.created"))

    assert (response.status_code, response.json()["data"]["outcome"]) == (200, "ignored")


@pytest.mark.django_db(transaction=True)
def test_concurrent_deliveries_of_one_event_apply_it_once(settings):
    secret = settings.ORDERS["PAYMENT_WEBHOOK_SECRET"]
    order = OrderFactory(status=OrderStatus.CONFIRMED)
    payment = payment_create(user_id=order.user_id, order_id=order.id, payment_method=REQUIRES_3DS)
    body, headers = _webhook(payment, secret, event_id="evt_concurrent")

    responses = results_concurrently([lambda: _post(body, headers)] * 4)

    assert [response.status_code for response in responses] == [200] * 4
    assert sorted(response.json()["data"]["is_duplicate"] for response in responses) == [
        False,
        True,
        True,
        True,
    ]
    assert OutboxEvent.objects.filter(type="orders.order.paid").count() == 1


@pytest.mark.django_db
def test_the_webhook_needs_no_csrf_token(waiting_payment, secret):
    from django.test import Client

    body, headers = _webhook(waiting_payment, secret)

    response = Client(enforce_csrf_checks=True).post(
        URL,
        data=body,
        content_type="application/json",
        HTTP_X_TEST_PROVIDER_SIGNATURE=headers["X-Test-Provider-Signature"],
    )

    assert response.status_code == 200


# -- malformed but signed bodies, malformed signature headers: 400 (or stored), never 500 -------


def _signed(raw: str, secret: str) -> tuple[bytes, dict[str, str]]:
    """Sign ``raw`` exactly as written (it may hold escapes json.dumps would never produce)."""
    body = raw.encode()
    return body, {SIGNATURE_HEADER: signatures.sign(body, secret=secret)}


def _event(**fields) -> str:
    return json.dumps({"id": "evt_x", "type": "payment.created", "data": {}, **fields})


@pytest.mark.django_db
@pytest.mark.parametrize(
    "raw",
    [
        "[" * 5000 + "]" * 5000,  # too deep for the JSON parser
        '{"id": "evt_x", "type": "x", "data": {"amount": NaN}}',
        '{"id": "evt_x", "type": "x", "data": {"amount": 1e999}}',
        '{"id": "evt_x", "type": "x", "data": ' + "[" * 100 + "]" * 100 + "}",  # too deep to keep
        _event(id="e" * 129),
        _event(type="t" * 65),
        _event(id="evt\u0000x"),
        '{"id": "evt\\ud800", "type": "x", "data": {}}',
        _event(id={"nested": 1}),
        _event(id=True),
        _event(type=None),
        _event(data=[1, 2]),
        "[1]",
    ],
    ids=lambda raw: raw[:40],
)
def test_a_signed_but_malformed_body_is_a_400(secret, captured_events, raw):
    response = _post(*_signed(raw, secret))

    assert (response.status_code, response.json()["error"]["code"]) == (400, "invalid_signature")
    assert WebhookEvent.objects.count() == 0
    captured_events.assert_nothing_published()


@pytest.mark.django_db
def test_nul_characters_and_lone_surrogates_in_the_body_are_stored_without_them(
    waiting_payment, secret, captured_events
):
    raw = json.dumps(
        {
            "id": "evt_nul",
            "type": "payment.failed",
            "data": {
                "payment_id": waiting_payment.provider_payment_id,
                "failure_code": "declined\u0000",
                "failure_message": "no\u0000pe",
                "note\u0000": "a\u0000b",
            },
        }
    ).replace("a\\u0000b", "a\\u0000b\\ud800")

    response = _post(*_signed(raw, secret))

    assert response.status_code == 200, response.content
    assert response.json()["data"]["outcome"] == "payment_failed"
    event = WebhookEvent.objects.get()
    assert event.payload["data"]["note"] == "ab?"
    waiting_payment.refresh_from_db()
    assert (waiting_payment.failure_code, waiting_payment.failure_message) == ("declined", "nope")


@pytest.mark.django_db
def test_a_payment_id_of_the_wrong_type_names_no_payment(waiting_payment, secret, captured_events):
    response = _post(*_signed(_event(type="payment.succeeded", data={"payment_id": ["x"]}), secret))

    assert (response.status_code, response.json()["data"]["outcome"]) == (200, "unknown_payment")
    captured_events.assert_nothing_published()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "header",
    [
        "t=" + "9" * 400 + ",v1=00",  # a float cannot hold it
        "t=-1,v1=00",
        "t=1e9,v1=00",
        "t=１２３,v1=00",
        "t={now},v1=é",  # non-ASCII signature
        "t={now},v1=\udcff",
    ],
)
def test_a_malformed_signature_header_is_a_400(secret, captured_events, header):
    body = _event().encode()
    header = header.replace("{now}", str(int(time.time())))

    response = _post(body, {SIGNATURE_HEADER: header})

    assert (response.status_code, response.json()["error"]["code"]) == (400, "invalid_signature")
    assert WebhookEvent.objects.count() == 0


@pytest.mark.django_db
def test_a_late_success_for_a_declined_attempt_after_another_paid_is_acknowledged_and_refunded(
    waiting_payment, secret, captured_events, django_capture_on_commit_callbacks
):
    _post(*_webhook(waiting_payment, secret, "payment.failed", failure_code="authentication_failed"))
    order = Order.objects.get(id=waiting_payment.order_id)
    paying = payment_create(user_id=order.user_id, order_id=order.id, payment_method=SUCCEEDS)

    with django_capture_on_commit_callbacks(execute=True):
        response = _post(*_webhook(waiting_payment, secret))  # the provider took the money after all

    assert (response.status_code, response.json()["data"]["outcome"]) == (200, "payment_succeeded")
    waiting_payment.refresh_from_db()
    assert waiting_payment.status == PaymentStatus.REFUNDED
    assert Payment.objects.get(id=paying.id).status == PaymentStatus.SUCCEEDED
    assert len(captured_events.of_type("orders.order.paid")) == 1


@pytest.mark.django_db
def test_a_payment_whose_charge_call_failed_is_settled_by_its_webhook(secret, monkeypatch, captured_events):
    """ProviderUnavailable leaves the payment processing without the provider's id; the
    provider's webhook names it by our reference and settles it."""
    order = OrderFactory(status=OrderStatus.CONFIRMED)

    def unavailable(self, **kwargs):
        raise ProviderUnavailable("timeout")

    with monkeypatch.context() as patch:
        patch.setattr(TestCardProvider, "charge", unavailable)
        with pytest.raises(ApplicationError):
            payment_create(user_id=order.user_id, order_id=order.id, payment_method=SUCCEEDS)
    payment = Payment.objects.get(order=order)
    assert (payment.status, payment.provider_payment_id) == (PaymentStatus.PROCESSING, "")
    provider_id = TestCardProvider.payment_id_for(str(payment.id))  # what the provider calls it

    response = _post(
        *TestCardProvider.webhook("payment.succeeded", secret=secret, provider_payment_id=provider_id)
    )

    assert (response.status_code, response.json()["data"]["outcome"]) == (200, "payment_succeeded")
    payment.refresh_from_db()
    assert (payment.status, payment.provider_payment_id) == (PaymentStatus.SUCCEEDED, provider_id)
    assert Order.objects.get(id=order.id).status == OrderStatus.PAID
    captured_events.assert_published("orders.order.paid", payment_id=str(payment.id))


@pytest.mark.django_db
def test_a_reference_never_reaches_a_payment_that_knows_another_provider_id(
    waiting_payment, secret, captured_events
):
    other_id = TestCardProvider.payment_id_for(str(uuid.uuid4()))
    body, headers = TestCardProvider.webhook(
        "payment.succeeded", secret=secret, provider_payment_id=other_id, reference=str(waiting_payment.id)
    )

    response = _post(body, headers)

    assert response.json()["data"]["outcome"] == "unknown_payment"
    waiting_payment.refresh_from_db()
    assert waiting_payment.status == PaymentStatus.REQUIRES_ACTION
    captured_events.assert_nothing_published()
