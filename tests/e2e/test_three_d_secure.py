"""A 3-D Secure payment through the gateway: the customer follows next_action.redirect_url to the
test provider's page (served by orders), presses "Complete", and the order is paid."""

from __future__ import annotations

import re
import uuid

import requests

from tests.e2e.shopping import ADDRESS, add_to_cart_when_known, new_customer, new_product, wait_for

REQUIRES_3DS = "4000 0000 0000 3220"


def test_the_challenge_page_completes_the_payment(platform, admin, category):
    product = new_product(admin, category, stock=3)
    customer = new_customer(platform)
    add_to_cart_when_known(customer, product["id"])
    placed = customer.post(
        "/api/v1/orders/", {"shipping_address": ADDRESS}, headers={"Idempotency-Key": str(uuid.uuid4())}
    )
    assert placed.status_code == 201, placed.text
    order_id = placed.json()["data"]["id"]
    order = lambda: customer.get(f"/api/v1/orders/{order_id}/").json()["data"]  # noqa: E731
    wait_for(lambda: order()["status"] == "confirmed")

    paying = customer.post("/api/v1/payments/", {"order_id": order_id, "payment_method": REQUIRES_3DS})
    assert paying.status_code == 201, paying.text
    payment = paying.json()["data"]
    assert payment["status"] == "requires_action"
    redirect_url = payment["next_action"]["redirect_url"]
    assert redirect_url.startswith(platform.url("/payments/3ds/"))

    browser = requests.Session()  # the customer's browser: no API credentials, a CSRF cookie
    page = browser.get(redirect_url, timeout=10)
    assert page.status_code == 200, page.text
    assert "requires_action" in page.text
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    done = browser.post(redirect_url, data={"csrfmiddlewaretoken": token, "outcome": "complete"}, timeout=10)

    assert done.status_code == 200, done.text  # the page again, after the 303
    assert [hop.status_code for hop in done.history] == [303]
    assert 'name="outcome"' not in done.text and "succeeded" in done.text
    assert order()["status"] == "paid"
    assert customer.get(f"/api/v1/payments/{payment['id']}/").json()["data"]["status"] == "succeeded"
