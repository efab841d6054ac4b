"""The ``test`` provider's 3-D Secure page: ``/payments/3ds/<provider payment id>/`` through the
gateway, where a payment answered ``requires_action`` sends its customer (``next_action``).

A real provider hosts this page itself and tells us the outcome by a signed webhook; the test
provider has no host, so this service plays it: the page's "complete" and "fail" buttons send
the provider's signed webhook through the same verification and idempotency as one arriving at
``/api/v1/payments/webhooks/test/``. It exists only while the test provider is enabled
(``PAYMENT_PROVIDERS``), and only for test-provider payments. Like the provider's page, it knows
the payment by its unguessable provider id and asks for no sign-in.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from orders.payments.models import PaymentStatus
from orders.payments.providers import enabled_provider_names
from orders.payments.providers.card_numbers import TestCardProvider
from orders.payments.selectors import payment_get_by_provider_id
from orders.payments.services import payment_test_challenge_finish
from servicekit.envelope.views import error_response, not_found

OUTCOMES = {"complete": True, "fail": False}


@require_http_methods(["GET", "HEAD", "POST"])
def three_d_secure_page(request: HttpRequest, provider_payment_id: str) -> HttpResponse:
    if TestCardProvider.name not in enabled_provider_names():
        return not_found(request)
    payment = payment_get_by_provider_id(
        provider=TestCardProvider.name, provider_payment_id=provider_payment_id
    )
    if payment is None:
        return not_found(request)
    if request.method == "POST":
        outcome = request.POST.get("outcome", "")
        if outcome not in OUTCOMES:
            return error_response(
                400, "validation_error", "The request is invalid.", {"outcome": ["Choose complete or fail."]}
            )
        # Only a challenge still open is finished; pressing a button again changes nothing.
        if payment.status == PaymentStatus.REQUIRES_ACTION:
            payment_test_challenge_finish(payment=payment, succeeded=OUTCOMES[outcome])
        response = redirect(request.path)  # after the POST, the page with the outcome
        response.status_code = 303  # See Other: the browser GETs it
        return response
    response = render(
        request,
        "payments/three_d_secure.html",
        {"payment": payment, "is_open": payment.status == PaymentStatus.REQUIRES_ACTION},
    )
    response["Cache-Control"] = "no-store"
    return response
