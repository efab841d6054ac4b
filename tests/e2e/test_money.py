"""One price, one string: catalog, the cart and the order write an amount with exactly its
currency's minor units (JPY "1200", BHD "1.250"), through the gateway and over the events."""

from __future__ import annotations

import uuid
from functools import partial

from tests.e2e.shopping import ADDRESS, add_to_cart_when_known, new_customer, new_product, wait_for


def test_jpy_and_bhd_prices_read_the_same_in_catalog_the_cart_and_the_order(platform, admin, category):
    jpy = new_product(admin, category, stock=5, price="1200", currency="JPY")
    bhd = new_product(admin, category, stock=5, price="1.25", currency="BHD")
    customer = new_customer(platform)

    for product, price, total in ((jpy, "1200", "2400"), (bhd, "1.250", "2.500")):
        assert product["price"] == price
        assert admin.get(f"/api/v1/catalog/products/{product['id']}/").json()["data"]["price"] == price

        add_to_cart_when_known(customer, product["id"], quantity=2)
        cart = customer.get("/api/v1/cart/").json()["data"]
        [line] = cart["lines"]
        assert (line["unit_price"], line["line_total"]) == (price, total)
        assert cart["totals"] == [{"currency": product["currency"], "amount": total}]

        placed = customer.post(
            "/api/v1/orders/", {"shipping_address": ADDRESS}, headers={"Idempotency-Key": str(uuid.uuid4())}
        )
        assert placed.status_code == 201, placed.text
        order_id = placed.json()["data"]["id"]
        # catalog reserves the stock from orders.order.placed: the strings went through the events too
        order = wait_for(partial(confirmed, customer, order_id))
        for shown in (placed.json()["data"], order):
            [line] = shown["lines"]
            assert (shown["currency"], shown["total"]) == (product["currency"], total)
            assert (line["unit_price"], line["line_total"]) == (price, total)


def test_a_cart_holds_one_currency(platform, admin, category):
    jpy = new_product(admin, category, stock=5, price="1200", currency="JPY")
    bhd = new_product(admin, category, stock=5, price="1.25", currency="BHD")
    customer = new_customer(platform)
    add_to_cart_when_known(customer, jpy["id"])

    def refused():
        response = customer.post("/api/v1/cart/items/", {"product_id": bhd["id"], "quantity": 1})
        return response.status_code == 400 and response.json()["error"]["code"] == "currency_mismatch"

    wait_for(refused)  # once orders knows the BHD product
    assert [line["product_id"] for line in customer.get("/api/v1/cart/").json()["data"]["lines"]] == [
        jpy["id"]
    ]


def confirmed(customer, order_id: str) -> dict | None:
    order = customer.get(f"/api/v1/orders/{order_id}/").json()["data"]
    return order if order["status"] == "confirmed" else None
