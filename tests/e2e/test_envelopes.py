"""Hostile or careless requests through the real gateway still get one JSON envelope each."""

from __future__ import annotations

import http.client
import socket

import pytest
import requests

from tests.e2e.shopping import add_to_cart_when_known, new_customer, new_product, register, wait_for


def assert_error(response: requests.Response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["error"]["code"] == code
    assert body["meta"]["request_id"] == response.headers["X-Request-ID"]
    return body["error"]


@pytest.mark.parametrize(
    "target",
    [b"/api/v1/catalog/products/?search=\xff\xfe", "/api/v1/catalog/products/?search=café".encode()],
)
def test_a_raw_non_ascii_request_target_is_a_400_envelope(platform, target):
    with socket.create_connection(("127.0.0.1", platform.gateway_port), timeout=10) as sock:
        sock.sendall(b"GET " + target + b" HTTP/1.1\r\nHost: gateway\r\nConnection: close\r\n\r\n")
        response = http.client.HTTPResponse(sock)
        response.begin()
        body = response.read()

    assert response.status == 400, body
    assert response.getheader("Content-Type") == "application/json"
    assert b"percent-encoded" in body


def test_an_unknown_charset_is_refused_not_read_as_utf8(platform):
    response = requests.post(
        platform.url("/api/v1/auth/login/"),
        data=b'{"email": "a@example.com", "password": "x"}',
        headers={"Content-Type": "application/json; charset=bogus"},
        timeout=10,
    )
    error = assert_error(response, 400, "parse_error")
    assert "bogus" in error["message"]


@pytest.mark.parametrize("parameter", ["page", "page_size"])
def test_a_page_or_page_size_that_is_not_a_number_is_a_400_naming_it(platform, parameter):
    response = requests.get(platform.url("/api/v1/catalog/products/"), params={parameter: "abc"}, timeout=10)
    assert list(assert_error(response, 400, "validation_error")["details"]) == [parameter]


def test_adding_zero_of_a_product_already_in_the_cart_is_a_400_naming_quantity(platform, admin, category):
    product = new_product(admin, category, stock=5)
    customer = new_customer(platform)
    add_to_cart_when_known(customer, product["id"], quantity=2)

    response = customer.post("/api/v1/cart/items/", {"product_id": product["id"], "quantity": 0})

    assert "quantity" in assert_error(response, 400, "quantity_out_of_range")["details"]
    assert customer.get("/api/v1/cart/").json()["data"]["lines"][0]["quantity"] == 2


def test_a_locked_out_login_has_one_retry_after(platform):
    email = register(platform)

    def refused_by_identity():
        response = requests.post(
            platform.url("/api/v1/auth/login/"),
            json={"email": email, "password": "wrong-Pass-2026!"},
            timeout=10,
        )
        # The gateway's own 429 (auth zone; no details) only paces us: wait_for asks again.
        # (In a list: a Response with a 4xx status is falsy.)
        return [response] if response.status_code == 429 and response.json()["error"]["details"] else None

    [response] = wait_for(refused_by_identity, timeout=30, interval=0.3)
    # requests joins repeated headers with ", ": the gateway's "1" used to follow identity's value.
    retry_after = response.headers["Retry-After"]
    assert retry_after.isdigit(), retry_after
    assert retry_after == str(response.json()["error"]["details"].get("retry_after", retry_after))
