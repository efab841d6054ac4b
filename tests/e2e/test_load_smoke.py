"""A short run of the load test (tests/load/, ``make load`` runs the long one): a few users for a
few seconds of the realistic traffic through the gateway, every operation tried, no error."""

from tests.load.run import prepare, report, run_locust

OPERATIONS = {
    "GET /catalog/products/",
    "GET /catalog/products/{id}/",
    "GET /catalog/categories/",
    "GET /catalog/products/?search=",
    "GET /cart/",
    "POST /cart/items/",
    "POST /orders/",
    "GET /orders/{id}/",
    "POST /payments/",
    "GET /orders/",
    "POST /messaging/messages/",
    "GET /messaging/messages/{id}/",
}


def test_a_short_load_run_has_no_error(platform, admin):
    admin_token = admin.headers["Authorization"].removeprefix("Bearer ")
    fixture = prepare(platform.url(""), admin_token, customers=3, products=3)

    rows, total, output = run_locust(
        platform.url(""),
        fixture,
        users=3,
        spawn_rate=3,
        run_time=12,
        think="0.2,0.6",
        every_operation_first=True,
        # Errors, not latency, are this run's measure: on a busy CI machine the saga may be slow.
        confirm_timeout=60,
    )

    print(report(rows, total, 12, 3))
    assert total.requests > len(OPERATIONS), output
    assert total.failures == 0, report(rows, total, 12, 3) + "\n" + output
    assert {row.name for row in rows if row.requests} >= OPERATIONS, report(rows, total, 12, 3)
