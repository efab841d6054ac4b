"""Every write is seen by the next (cached) read.

Each test fills the read cache, writes, and reads again. The version bump that invalidates
the cache runs after the write's transaction commits, so writes run under
``django_capture_on_commit_callbacks(execute=True)`` (the test's own transaction never commits).
"""

import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.events import order_cancelled, order_paid, order_placed
from tests.factories import CategoryFactory, ProductFactory, PurchaseFactory

pytestmark = pytest.mark.django_db

PRODUCTS = "/api/v1/catalog/products/"
CATEGORIES = "/api/v1/catalog/categories/"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def detail(product) -> str:
    return f"{PRODUCTS}{product.pk}/"


def stock_of(client, product) -> tuple[int, int, int]:
    data = client.get(detail(product)).json()["data"]
    return data["stock"], data["reserved"], data["available"]


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """``with committed():`` runs the on-commit callbacks of what happens inside."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def test_a_stock_adjustment_is_seen_by_cached_reads(api_client, staff_client, committed):
    product = ProductFactory(stock_on_hand=5)
    assert stock_of(api_client, product) == (5, 0, 5)

    with committed():
        response = staff_client.post(
            f"{detail(product)}stock-adjustments/", {"delta": 3, "reason": "restock"}, format="json"
        )

    assert response.status_code == 201
    assert stock_of(api_client, product) == (8, 0, 8)


def test_reserve_release_and_commit_are_seen_by_cached_reads(api_client, deliver_event, committed):
    mug = ProductFactory(stock_on_hand=10)
    user_id = str(uuid.uuid4())
    kept, dropped = uuid.uuid4(), uuid.uuid4()
    assert stock_of(api_client, mug) == (10, 0, 10)

    with committed():
        deliver_event("orders.order.placed", order_placed(kept, [(mug, 2)], user_id=user_id))
        deliver_event("orders.order.placed", order_placed(dropped, [(mug, 3)], user_id=user_id))
    assert stock_of(api_client, mug) == (10, 5, 5)

    with committed():
        deliver_event("orders.order.cancelled", order_cancelled(dropped, user_id, [(mug, 3)], "expired"))
    assert stock_of(api_client, mug) == (10, 2, 8)

    with committed():
        deliver_event("orders.order.paid", order_paid(kept, user_id, [(mug, 2)]))
    assert stock_of(api_client, mug) == (8, 0, 8)


def test_review_create_hide_and_delete_are_seen_by_cached_reads(
    api_client, client_for, staff_client, committed
):
    product = ProductFactory()
    author = client_for(roles=("customer",))
    PurchaseFactory(user_id=author.user_id, product_id=product.pk)

    def rating():
        data = api_client.get(detail(product)).json()["data"]
        return data["rating_average"], data["rating_count"]

    assert rating() == (None, 0)

    with committed():
        review_id = author.post(
            f"{detail(product)}reviews/", {"rating": 4, "title": "Good"}, format="json"
        ).json()["data"]["id"]
    assert rating() == ("4.00", 1)

    with committed():
        staff_client.post(f"/api/v1/catalog/reviews/{review_id}/hide/", {"reason": "spam"}, format="json")
    assert rating() == (None, 0)

    with committed():
        staff_client.post(f"/api/v1/catalog/reviews/{review_id}/unhide/")
    assert rating() == ("4.00", 1)

    with committed():
        assert author.delete(f"/api/v1/catalog/reviews/{review_id}/").status_code == 204
    assert rating() == (None, 0)


def test_a_product_delete_is_seen_by_cached_reads(api_client, staff_client, committed):
    product = ProductFactory()
    assert len(api_client.get(PRODUCTS).json()["data"]) == 1
    assert api_client.get(detail(product)).status_code == 200

    with committed():
        assert staff_client.delete(detail(product)).status_code == 204

    assert api_client.get(PRODUCTS).json()["data"] == []
    assert api_client.get(detail(product)).status_code == 404


def test_an_added_image_is_seen_by_cached_reads(api_client, staff_client, media_root, committed):
    product = ProductFactory()
    assert api_client.get(detail(product)).json()["data"]["images"] == []

    with committed():
        upload = SimpleUploadedFile("a.png", PNG, content_type="image/png")
        assert (
            staff_client.post(f"{detail(product)}images/", {"file": upload}, format="multipart").status_code
            == 201
        )

    [image] = api_client.get(detail(product)).json()["data"]["images"]
    assert image["content_type"] == "image/png"
    assert api_client.get(PRODUCTS).json()["data"][0]["images"] == [image]


def test_a_category_move_is_seen_by_cached_reads(api_client, staff_client, committed):
    home, mugs = CategoryFactory(name="Home", slug="home"), CategoryFactory(name="Mugs")
    ProductFactory(sku="MUG-1", category=mugs)
    assert api_client.get(PRODUCTS, {"category": "home"}).json()["data"] == []
    assert api_client.get(CATEGORIES, {"parent": ""}).json()["meta"]["pagination"]["count"] == 2

    with committed():
        staff_client.patch(f"{CATEGORIES}{mugs.pk}/", {"parent": str(home.pk)}, format="json")

    assert [row["sku"] for row in api_client.get(PRODUCTS, {"category": "home"}).json()["data"]] == ["MUG-1"]
    assert [row["name"] for row in api_client.get(CATEGORIES, {"parent": ""}).json()["data"]] == ["Home"]


def test_a_category_delete_with_reassign_is_seen_by_cached_reads(api_client, staff_client, committed):
    old, target = CategoryFactory(name="Old", slug="old"), CategoryFactory(name="Target", slug="target")
    product = ProductFactory(category=old)
    assert api_client.get(detail(product)).json()["data"]["category"] == str(old.pk)
    assert api_client.get(PRODUCTS, {"category": "target"}).json()["data"] == []
    assert len(api_client.get(f"{CATEGORIES}tree/").json()["data"]) == 2

    with committed():
        assert staff_client.delete(f"{CATEGORIES}{old.pk}/?reassign_to={target.pk}").status_code == 204

    assert api_client.get(detail(product)).json()["data"]["category"] == str(target.pk)
    assert len(api_client.get(PRODUCTS, {"category": "target"}).json()["data"]) == 1
    assert [node["name"] for node in api_client.get(f"{CATEGORIES}tree/").json()["data"]] == ["Target"]
