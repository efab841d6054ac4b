"""The people and objects the hardening suites act on, made through the gateway as users would.

Two customers (``customer`` owns things, ``other_customer`` is the intruder), two vendors
likewise, a staff admin, and a ``victim`` account for the staff operations on a user. The
objects every operation's URL can name: a category, a vendor's product with an image and a
customer's review, a cart line, a placed and paid order, an API key, a messaging session with a
probe and a message, and a private builds repository with a build and a build token.
"""

from __future__ import annotations

import io
import struct
import uuid
import zlib
from dataclasses import dataclass, field
from typing import Any

import requests

from tests.e2e.shopping import (
    ADDRESS,
    ADMIN_PASSWORD,
    CUSTOMER_PASSWORD,
    Api,
    add_to_cart_when_known,
    create_admin,
    register,
    wait_for,
)

PAYMENT_CARD = "4242424242424242"
CHANGED_PASSWORD = CUSTOMER_PASSWORD + "x"  # what the sweeps send as a new password


def call(api: Api | None, method: str, path: str, **kwargs: Any) -> requests.Response:
    """One request through the gateway, as ``api``'s user (anonymous for None)."""
    platform = kwargs.pop("platform", None) or api.platform
    headers = {**(api.headers if api else {}), **kwargs.pop("headers", {})}
    return requests.request(method.upper(), platform.url(path), headers=headers, timeout=30, **kwargs)


def png() -> bytes:
    """A valid 1×1 PNG, for the product image."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


@dataclass
class World:
    platform: Any
    users: dict[str, Api] = field(default_factory=dict)
    user_ids: dict[str, str] = field(default_factory=dict)
    objects: dict[str, str] = field(default_factory=dict)
    emails: dict[str, str] = field(default_factory=dict)
    passwords: dict[str, str] = field(default_factory=dict)

    def data(self, response: requests.Response, status: int | tuple[int, ...]) -> Any:
        wanted = (status,) if isinstance(status, int) else status
        assert response.status_code in wanted, (response.request.method, response.request.url, response.text)
        return response.json()["data"]

    def refresh_token(self, role: str) -> str:
        """A new session of ``role``'s account: its refresh token."""
        login = call(
            None,
            "post",
            "/api/v1/auth/login/",
            platform=self.platform,
            json={"email": self.emails[role], "password": CUSTOMER_PASSWORD},
        )
        return self.data(login, 200)["refresh"]

    def signed_in(self, role: str) -> Api:
        """``role``'s client, signed in again if a test ended its sessions (logout everywhere,
        a password change: the sweeps may have changed it to the one they send)."""
        api = self.users[role]
        if call(api, "get", "/api/v1/auth/me/").status_code == 401:
            for password in (self.passwords.get(role, CUSTOMER_PASSWORD), CHANGED_PASSWORD):
                login = call(
                    None,
                    "post",
                    "/api/v1/auth/login/",
                    platform=self.platform,
                    json={"email": self.emails[role], "password": password},
                )
                if login.status_code == 200:
                    api.headers = {"Authorization": f"Bearer {login.json()['data']['access']}"}
                    break
            else:
                raise AssertionError(f"{role} cannot sign in again: {login.text}")
        return api

    def fresh_session(self, role: str) -> Api:
        return Api(self.platform, self.emails[role], self.passwords.get(role, CUSTOMER_PASSWORD))

    def sign_in(self, role: str, email: str) -> Api:
        self.emails[role] = email
        api = Api(self.platform, email, CUSTOMER_PASSWORD)
        self.users[role] = api
        self.user_ids[role] = self.data(call(api, "get", "/api/v1/auth/me/"), 200)["id"]
        return api

    def build(self) -> World:
        admin = create_admin(self.platform)
        self.users["staff"] = admin
        self.emails["staff"], self.passwords["staff"] = admin.email, ADMIN_PASSWORD
        self.user_ids["staff"] = self.data(call(admin, "get", "/api/v1/auth/me/"), 200)["id"]
        for role in ("customer", "other_customer", "victim", "spare", "leaver"):
            self.sign_in(role, register(self.platform))
        for role in ("vendor", "other_vendor"):
            email = register(self.platform)
            user_id = self.sign_in(role, email) and self.user_ids[role]
            self.data(call(admin, "put", f"/api/v1/users/{user_id}/roles/", json={"roles": ["vendor"]}), 200)
            self.sign_in(role, email)  # a token with the vendor role
        self._catalog()
        self._orders()
        self._account()
        self._messaging()
        self._builds()
        return self

    def _catalog(self) -> None:
        admin, vendor = self.users["staff"], self.users["vendor"]
        category = call(
            admin, "post", "/api/v1/catalog/categories/", json={"name": f"Sweep {uuid.uuid4().hex[:6]}"}
        )
        self.objects["category"] = self.data(category, 201)["id"]
        body = {
            "sku": f"SWEEP-{uuid.uuid4().hex[:8]}",
            "name": "Sweep widget",
            "price": "12.50",
            "currency": "USD",
            "stock": 100,
            "category": self.objects["category"],
        }
        product = self.data(call(vendor, "post", "/api/v1/catalog/products/", json=body), 201)
        self.objects["product"] = product["id"]
        image = call(
            vendor,
            "post",
            f"/api/v1/catalog/products/{product['id']}/images/",
            files={"file": ("pixel.png", io.BytesIO(png()), "image/png")},
            data={"alt_text": "a pixel"},
        )
        self.objects["image"] = self.data(image, 201)["id"]

    def confirmed_order(self) -> str:
        """A new order of the customer's, confirmed (stock reserved) and not yet paid."""
        customer = self.signed_in("customer")
        add_to_cart_when_known(customer, self.objects["product"])
        placed = call(
            customer,
            "post",
            "/api/v1/orders/",
            json={"shipping_address": ADDRESS},
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )
        order_id = self.data(placed, 201)["id"]
        order = f"/api/v1/orders/{order_id}/"
        wait_for(lambda: self.data(call(customer, "get", order), 200)["status"] == "confirmed")
        return order_id

    def _orders(self) -> None:
        customer, product = self.users["customer"], self.objects["product"]
        order_id = self.objects["order"] = self.confirmed_order()
        paid = call(
            customer, "post", "/api/v1/payments/", json={"order_id": order_id, "payment_method": PAYMENT_CARD}
        )
        self.objects["payment"] = self.data(paid, 201)["id"]
        wait_for(
            lambda: self.data(call(customer, "get", f"/api/v1/orders/{order_id}/"), 200)["status"] == "paid"
        )
        # A cart line of the customer's own, for the cart's item routes.
        add_to_cart_when_known(customer, product)

        def reviewed():
            answer = call(
                customer,
                "post",
                f"/api/v1/catalog/products/{product}/reviews/",
                json={"rating": 5, "title": "Works"},
            )
            return answer.status_code == 201 and answer.json()["data"]["id"]

        self.objects["review"] = wait_for(reviewed)  # catalog learns of the purchase from an event

    def _account(self) -> None:
        key = call(
            self.users["customer"],
            "post",
            "/api/v1/api-keys/",
            json={"name": "sweep", "scopes": ["catalog:read"]},
        )
        self.objects["api_key"] = self.data(key, 201)["id"]

    def _messaging(self) -> None:
        customer = self.users["customer"]
        session_id = self.data(call(customer, "post", "/api/v1/messaging/sessions/"), 201)["id"]
        self.objects["session"] = session_id
        session = f"/api/v1/messaging/sessions/{session_id}/"
        wait_for(lambda: self.data(call(customer, "get", session), 200)["status"] == "scan_qr_code")
        self.data(call(customer, "get", f"{session}qr/"), 200)  # the phone scans the QR code shown
        self.data(call(customer, "post", f"{session}scan/"), 202)
        wait_for(lambda: self.data(call(customer, "get", session), 200)["status"] == "working")
        sent = call(
            customer,
            "post",
            "/api/v1/messaging/messages/",
            json={"to": "+34 600 00 00 01", "text": "Hello from the sweep"},
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )
        message_id = self.data(sent, 202)["id"]
        self.objects["message"] = message_id
        message = f"/api/v1/messaging/messages/{message_id}/"
        wait_for(lambda: self.data(call(customer, "get", message), 200)["status"] == "read")
        probe = call(customer, "post", f"{session}probe/")
        assert probe.status_code == 202, probe.text
        self.objects["probe"] = probe.json()["data"]["id"]
        probe_path = f"{session}probe/{self.objects['probe']}/"
        wait_for(lambda: self.data(call(customer, "get", probe_path), 200)["state"] != "pending")

    def _builds(self) -> None:
        admin = self.users["staff"]
        name = f"sweep-{uuid.uuid4().hex[:6]}"
        repository = call(admin, "post", "/api/v1/builds/repos/", json={"name": name, "is_public": False})
        self.objects["repository"] = self.data(repository, 201)["name"]
        build = call(admin, "post", "/api/v1/builds/builds/", json={"repository": name})
        self.objects["build"] = str(self.data(build, 201)["id"])
        token = {"name": "sweep", "scope": ["build"], "repos": [name], "duration": 3600}
        self.objects["build_token"] = self.data(
            call(admin, "post", "/api/v1/builds/tokens/", json=token), 201
        )["jti"]
