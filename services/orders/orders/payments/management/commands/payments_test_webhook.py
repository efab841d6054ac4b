"""Settle a ``test``-provider payment as its webhook would (e.g. after a 3-D Secure challenge).

    manage.py payments_test_webhook <payment id>                 # the challenge succeeded
    manage.py payments_test_webhook <payment id> --fail          # ... or failed
    manage.py payments_test_webhook <payment id> --print-only    # print a signed request to curl

The webhook is signed with PAYMENT_WEBHOOK_SECRET and goes through the same verification
and idempotency as one arriving at /api/v1/payments/webhooks/test/.
"""

from __future__ import annotations

import shlex
import uuid
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from orders.payments.models import Payment
from orders.payments.providers.card_numbers import TestCardProvider
from orders.payments.services import payment_test_webhook, payment_webhook_receive


class Command(BaseCommand):
    help = "Send a signed test-provider webhook for a payment (development and demos)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("payment_id")
        parser.add_argument("--fail", action="store_true", help="report the payment as failed")
        parser.add_argument("--code", default="authentication_failed", help="failure code with --fail")
        parser.add_argument("--print-only", action="store_true", help="print a curl command instead")
        parser.add_argument("--url", default="http://localhost:8080/api/v1/payments/webhooks/test/")

    def handle(
        self, *args: Any, payment_id: str, fail: bool, code: str, print_only: bool, url: str, **options
    ):
        try:
            payment_id = str(uuid.UUID(payment_id))
        except ValueError:
            raise CommandError(f"{payment_id!r} is not a payment id (a UUID)") from None
        payment = Payment.objects.filter(id=payment_id, provider=TestCardProvider.name).first()
        if payment is None:
            raise CommandError(f"no test-provider payment {payment_id}")
        body, headers = payment_test_webhook(payment=payment, succeeded=not fail, failure_code=code)
        if print_only:
            header_args = " ".join(f"-H {shlex.quote(f'{name}: {value}')}" for name, value in headers.items())
            self.stdout.write(f"curl -X POST {header_args} --data {shlex.quote(body.decode())} {url}")
            return
        receipt = payment_webhook_receive(provider_name=TestCardProvider.name, body=body, headers=headers)
        self.stdout.write(self.style.SUCCESS(f"{receipt.event_type} {receipt.event_id}: {receipt.outcome}"))
