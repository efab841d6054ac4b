"""messaging through the gateway: the e-mails the platform sends (as .eml files in the
platform's mail directory), the pages their links lead to, and a WhatsApp session with the
loopback phone, from its QR code to a message that was read."""

from __future__ import annotations

import email
import email.policy
import re
import uuid
from email.message import EmailMessage
from html import unescape

import requests

from tests.e2e.shopping import ADDRESS, CUSTOMER_PASSWORD, Api, add_to_cart_when_known, new_product, wait_for

NEW_PASSWORD = "e2e-Brand-New-Pass-77"


def register(platform) -> str:
    address = f"mail-{uuid.uuid4().hex[:8]}@example.com"
    response = requests.post(
        platform.url("/api/v1/auth/register/"),
        json={"email": address, "password": CUSTOMER_PASSWORD},
        timeout=10,
    )
    assert response.status_code == 201, response.text
    return address


def mail_to(platform, address: str, subject: str) -> EmailMessage:
    """The e-mail to ``address`` whose subject starts with ``subject``, once messaging wrote it."""

    def find():
        for path in platform.mail_dir.glob("*.eml"):
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            if message["To"] == address and message["Subject"].startswith(subject):
                return message
        return None

    return wait_for(find, timeout=60, interval=0.2)


def link_in(platform, message: EmailMessage, page: str) -> str:
    text = message.get_body(preferencelist=("plain",)).get_content()
    match = re.search(re.escape(platform.url(page)) + r"\?token=[A-Za-z0-9_-]+", text)
    assert match, text
    return match.group(0)


def submit_page_form(platform, page_url: str, **typed: str) -> requests.Response:
    """Open the page and do what its script does: post the form's named fields, as JSON, to the
    form's action on the same origin (the hidden token, and what the user typed)."""
    page = requests.get(page_url, timeout=10)
    assert page.status_code == 200, page.text
    assert page.headers["Content-Type"].startswith("text/html")
    html = page.text
    action = unescape(re.search(r'<form id="account-form" method="post" action="([^"]+)"', html).group(1))
    fields = {
        name: unescape(value)
        for name, value in re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', html)
    }
    typed_fields = re.findall(r'<input type="password" id="\w+" name="(\w+)"', html)
    assert sorted(typed_fields) == sorted(typed), typed_fields
    script = re.search(r'<script src="([^"]+)"', html).group(1)
    assert requests.get(platform.url(script), timeout=10).status_code == 200  # the gateway serves it
    return requests.post(platform.url(action), json={**fields, **typed}, timeout=10)


def test_registering_emails_a_link_whose_page_verifies_the_address(platform):
    address = register(platform)

    message = mail_to(platform, address, "Confirm your e-mail address")
    link = link_in(platform, message, "/account/verify/")
    verified = submit_page_form(platform, link)

    assert verified.status_code == 200, verified.text
    assert verified.json()["data"] == {"email": address, "email_verified": True}
    me = Api(platform, address, CUSTOMER_PASSWORD).get("/api/v1/auth/me/")
    assert me.json()["data"]["email_verified"] is True
    assert mail_to(platform, address, "Welcome to the platform")


def test_a_password_reset_email_links_to_a_page_that_sets_the_new_password(platform):
    address = register(platform)
    requested = requests.post(
        platform.url("/api/v1/auth/password-reset/"), json={"email": address}, timeout=10
    )
    assert requested.status_code == 202

    link = link_in(platform, mail_to(platform, address, "Reset your password"), "/account/reset-password/")
    confirmed = submit_page_form(platform, link, new_password=NEW_PASSWORD)

    assert confirmed.status_code == 204, confirmed.text
    login = "/api/v1/auth/login/"
    assert requests.post(
        platform.url(login), json={"email": address, "password": NEW_PASSWORD}, timeout=10
    ).ok
    old = requests.post(
        platform.url(login), json={"email": address, "password": CUSTOMER_PASSWORD}, timeout=10
    )
    assert old.status_code == 401


def test_a_paid_order_emails_its_payment_confirmation(platform, admin, category):
    product = new_product(admin, category, stock=3)
    customer = Api(platform, register(platform), CUSTOMER_PASSWORD)
    add_to_cart_when_known(customer, product["id"])
    placed = customer.post(
        "/api/v1/orders/", {"shipping_address": ADDRESS}, headers={"Idempotency-Key": str(uuid.uuid4())}
    )
    assert placed.status_code == 201, placed.text
    order_id = placed.json()["data"]["id"]
    wait_for(lambda: customer.get(f"/api/v1/orders/{order_id}/").json()["data"]["status"] == "confirmed")

    paid = customer.post("/api/v1/payments/", {"order_id": order_id, "payment_method": "4242424242424242"})
    assert paid.status_code == 201, paid.text

    reference = "#" + order_id.replace("-", "")[:8].upper()
    message = mail_to(platform, customer.email, f"Payment received for order {reference}")
    assert "12.50" in message.get_body(preferencelist=("plain",)).get_content()


def working_session(platform, customer) -> None:
    """A loopback session of ``customer``'s, scanned and working (the QR's checks are below)."""
    sessions = "/api/v1/messaging/sessions/"
    started = customer.post(sessions)
    assert started.status_code == 201, started.text
    session = f"{sessions}{started.json()['data']['id']}/"
    wait_for(lambda: customer.get(session).json()["data"]["status"] == "scan_qr_code")
    assert customer.get(f"{session}qr/").status_code == 200  # a code is issued: it may be scanned
    assert customer.post(f"{session}scan/").status_code == 202
    wait_for(lambda: customer.get(session).json()["data"]["status"] == "working")


def send_media(platform, customer, size: int) -> requests.Response:
    image = b"\x89PNG\r\n\x1a\n" + b"\0" * (size - 8)
    return requests.post(
        platform.url("/api/v1/messaging/messages/"),
        data={"to": "+34 600 00 00 02", "text": "a picture"},
        files={"media": ("picture.png", image, "image/png")},
        headers={**customer.headers, "Idempotency-Key": str(uuid.uuid4())},
        timeout=60,
    )


def test_the_gateway_admits_media_up_to_messagings_limit_and_refuses_more(platform):
    """One number (MESSAGING_MEDIA_MAX_BYTES, 16 MiB by default) bounds both: the gateway's
    limit on the message route and messaging's check of each file."""
    customer = Api(platform, register(platform), CUSTOMER_PASSWORD)
    working_session(platform, customer)

    accepted = send_media(platform, customer, 12 * 1024 * 1024)

    assert accepted.status_code == 202, accepted.text[:500]
    data = accepted.json()["data"]
    assert (data["kind"], data["media_mimetype"], data["media_size"]) == (
        "image",
        "image/png",
        12 * 1024 * 1024,
    )

    refused = send_media(platform, customer, 17 * 1024 * 1024)

    assert refused.status_code == 413
    assert refused.headers["Content-Type"].startswith("application/json")
    body = refused.json()
    assert body["error"]["code"] == "payload_too_large", body
    assert body["meta"]["request_id"]
    listed = customer.get("/api/v1/messaging/messages/").json()["data"]
    assert [m["id"] for m in listed] == [data["id"]]  # the refused one never reached messaging


def test_a_loopback_session_goes_from_qr_to_working_and_a_message_is_read(platform):
    customer = Api(platform, register(platform), CUSTOMER_PASSWORD)
    sessions = "/api/v1/messaging/sessions/"

    started = customer.post(sessions)
    assert started.status_code == 201, started.text
    session = f"{sessions}{started.json()['data']['id']}/"
    wait_for(lambda: customer.get(session).json()["data"]["status"] == "scan_qr_code")
    qr = customer.get(f"{session}qr/")
    assert qr.status_code == 200, qr.text
    png = requests.get(platform.url(qr.json()["data"]["png_url"]), headers=customer.headers, timeout=10)
    assert png.headers["Content-Type"] == "image/png" and png.content.startswith(b"\x89PNG")

    assert customer.post(f"{session}scan/").status_code == 202
    working = wait_for(lambda: (data := customer.get(session).json()["data"])["status"] == "working" and data)
    assert working["phone_number"].startswith("+34")

    sent = customer.post(
        "/api/v1/messaging/messages/",
        {"to": "+34 600 00 00 01", "text": "Hello from the e2e suite"},
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    assert sent.status_code == 202, sent.text
    message = f"/api/v1/messaging/messages/{sent.json()['data']['id']}/"
    read = wait_for(lambda: (data := customer.get(message).json()["data"])["status"] == "read" and data)
    assert read["sent_at"] and read["delivered_at"] and read["read_at"]
    assert customer.get("/api/v1/messaging/quotas/me/").json()["data"]["used"] == 1
