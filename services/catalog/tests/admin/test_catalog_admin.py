"""The Django admin writes through the services: same invariants, events and cache invalidation
as the API. A refusal is a message on the page, never a 500; what cannot go through a service
is read-only."""

from __future__ import annotations

import json
import uuid
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from catalog.categories.models import Category
from catalog.inventory.models import StockAdjustment, StockReservation
from catalog.inventory.services import stock_reserve_for_order
from catalog.products.models import Product, ProductImage
from catalog.products.services import product_image_add
from catalog.reviews.models import Purchase, Review
from catalog.reviews.services import review_create
from tests.admin.forms import admin_form_data
from tests.factories import (
    CategoryFactory,
    ProductFactory,
    ProductImageFactory,
    PurchaseFactory,
    ReviewFactory,
    StockReservationFactory,
)

pytestmark = pytest.mark.django_db

ADMIN = "/admin/catalog"
PRODUCTS_API = "/api/v1/catalog/products/"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def change_url(model: str, pk) -> str:
    return f"{ADMIN}/{model}/{pk}/change/"


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def reserve(product, quantity):
    stock_reserve_for_order(
        order_id=uuid.uuid4(), user_id="u", lines=[{"product_id": str(product.pk), "quantity": quantity}]
    )


def buyer_reviews(product, *ratings):
    return [
        review_create(
            product=product, user_id=PurchaseFactory(product_id=product.pk).user_id, rating=r, title="t"
        )
        for r in ratings
    ]


# -- products ------------------------------------------------------------------------------------


def test_a_product_changed_in_the_admin_publishes_its_event_and_refreshes_cached_reads(
    admin_client, api_client, captured_events, django_capture_on_commit_callbacks
):
    product = ProductFactory(name="Blue mug", price=Decimal("10.00"))
    assert api_client.get(PRODUCTS_API).json()["data"][0]["name"] == "Blue mug"  # cached now
    url = change_url("products/product", product.pk)

    data = admin_form_data(admin_client.get(url), name="Green mug", price="12.50")
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    event = captured_events.assert_published("catalog.product.updated", product_id=str(product.pk))
    assert (event.data["changed_fields"], event.data["name"], event.data["price"]) == (
        ["name", "price"],
        "Green mug",
        "12.50",
    )
    assert api_client.get(PRODUCTS_API).json()["data"][0]["name"] == "Green mug"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"attributes": json.dumps({"colour": "bl\u0000ue"})}, "attributes"),
        ({"attributes": json.dumps({"bad\u0000key": 1})}, "attributes"),
        ({"price": "-1.00"}, "price"),
        ({"price": "12.345"}, "price"),  # USD has two decimals
        ({"currency": "ABC"}, "currency"),
        ({"sku": "has space"}, "sku"),
    ],
)
def test_the_product_form_refuses_what_the_api_refuses(admin_client, captured_events, changes, field):
    product = ProductFactory(name="Blue mug", attributes={"colour": "red"})
    url = change_url("products/product", product.pk)

    response = admin_client.post(url, admin_form_data(admin_client.get(url), **changes))

    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    product.refresh_from_db()
    assert (product.name, product.attributes) == ("Blue mug", {"colour": "red"})
    captured_events.assert_nothing_published()


def test_stock_counters_and_the_vendor_cannot_be_changed_in_the_product_form(admin_client):
    product = ProductFactory(stock_on_hand=5)
    url = change_url("products/product", product.pk)

    response = admin_client.post(
        url, admin_form_data(admin_client.get(url), stock_on_hand="500", reserved="3", vendor_id="me")
    )

    assert response.status_code == 302
    product.refresh_from_db()
    assert (product.stock_on_hand, product.reserved) == (5, 0)
    assert product.vendor_id != "me"


def test_products_are_not_added_in_the_admin(admin_client):
    assert admin_client.get(f"{ADMIN}/products/product/add/").status_code == 403


def test_deleting_a_product_with_reserved_stock_in_the_admin_is_refused(admin_client, captured_events):
    product = ProductFactory(stock_on_hand=5)
    reserve(product, 2)

    response = admin_client.post(
        f"{ADMIN}/products/product/{product.pk}/delete/", {"post": "yes"}, follow=True
    )

    assert response.status_code == 200
    assert any("reserved" in message for message in messages_of(response))
    assert Product.objects.filter(pk=product.pk).exists()
    assert captured_events.of_type("catalog.product.deleted") == []


def test_deleting_a_product_in_the_admin_publishes_deleted_and_refreshes_cached_reads(
    admin_client, api_client, captured_events, django_capture_on_commit_callbacks
):
    product = ProductFactory()
    assert len(api_client.get(PRODUCTS_API).json()["data"]) == 1

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(f"{ADMIN}/products/product/{product.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not Product.objects.filter(pk=product.pk).exists()
    captured_events.assert_published("catalog.product.deleted", product_id=str(product.pk))
    assert api_client.get(PRODUCTS_API).json()["data"] == []


def test_delete_selected_deletes_through_the_service_and_reports_refusals(admin_client, captured_events):
    free, held = ProductFactory(sku="FREE"), ProductFactory(sku="HELD", stock_on_hand=5)
    reserve(held, 1)

    response = admin_client.post(
        f"{ADMIN}/products/product/",
        {"action": "delete_selected", "_selected_action": [str(free.pk), str(held.pk)], "post": "yes"},
        follow=True,
    )

    assert response.status_code == 200
    assert list(Product.objects.values_list("sku", flat=True)) == ["HELD"]
    messages = messages_of(response)
    assert "Deleted: 1." in messages
    assert any(message.startswith("Refused (1)") and "HELD" in message for message in messages)
    captured_events.assert_published("catalog.product.deleted", product_id=str(free.pk))


def test_activate_and_deactivate_actions_publish_updates(admin_client, captured_events):
    on, off = ProductFactory(is_active=True), ProductFactory(is_active=False)

    admin_client.post(
        f"{ADMIN}/products/product/", {"action": "deactivate", "_selected_action": [str(on.pk)]}
    )
    admin_client.post(f"{ADMIN}/products/product/", {"action": "activate", "_selected_action": [str(off.pk)]})

    on.refresh_from_db()
    off.refresh_from_db()
    assert (on.is_active, off.is_active) == (False, True)
    assert (
        captured_events.assert_published("catalog.product.updated", product_id=str(on.pk)).data["is_active"]
        is False
    )
    assert (
        captured_events.assert_published("catalog.product.updated", product_id=str(off.pk)).data["is_active"]
        is True
    )


# -- product images ------------------------------------------------------------------------------


def post_with_new_image(admin_client, product, **image):
    url = change_url("products/product", product.pk)
    data = admin_form_data(admin_client.get(url))
    data.update({f"images-2-0-{name}": value for name, value in image.items()})
    return admin_client.post(url, data)


@pytest.mark.parametrize(
    ("content", "limit"),
    [
        (b"<svg xmlns='http://www.w3.org/2000/svg'></svg>", None),  # not a supported image type
        (b"MZ\x90\x00 not an image", None),
        (PNG + b"\x00" * 2048, 1024),  # too large
    ],
)
def test_an_uploaded_image_is_checked_like_in_the_api(admin_client, media_root, settings, content, limit):
    if limit:
        settings.CATALOG = {**settings.CATALOG, "MAX_IMAGE_BYTES": limit}
    product = ProductFactory()

    response = post_with_new_image(
        admin_client, product, file=SimpleUploadedFile("picture.png", content, content_type="image/png")
    )

    assert response.status_code == 200
    [image_form] = response.context["inline_admin_formsets"][1].formset.forms
    assert "file" in image_form.errors
    assert not ProductImage.objects.exists()
    assert list(media_root.rglob("*.*")) == []


def test_an_image_added_in_the_admin_goes_through_the_service(
    admin_client, api_client, media_root, django_capture_on_commit_callbacks
):
    product = ProductFactory()
    assert api_client.get(f"{PRODUCTS_API}{product.pk}/").json()["data"]["images"] == []

    with django_capture_on_commit_callbacks(execute=True):
        response = post_with_new_image(
            admin_client,
            product,
            file=SimpleUploadedFile("../evil.exe", PNG, content_type="application/octet-stream"),
            alt_text="front",
        )

    assert response.status_code == 302
    image = ProductImage.objects.get()
    assert image.content_type == "image/png" and image.size == len(PNG)
    assert image.file.name.endswith(".png") and "evil" not in image.file.name
    assert (media_root / image.file.name).read_bytes() == PNG
    images = api_client.get(f"{PRODUCTS_API}{product.pk}/").json()["data"]["images"]
    assert [row["alt_text"] for row in images] == ["front"]


def test_the_image_cap_holds_in_the_admin(admin_client, settings):
    settings.CATALOG = {**settings.CATALOG, "MAX_IMAGES_PER_PRODUCT": 1}
    product = ProductFactory()
    ProductImageFactory(product=product)

    response = post_with_new_image(admin_client, product, url="https://cdn.example.com/second.jpg")

    assert response.status_code == 302
    assert any("at most 1 images" in message for message in messages_of(admin_client.get(response.url)))
    assert ProductImage.objects.count() == 1


def test_an_image_deleted_in_the_admin_loses_its_file(
    admin_client, media_root, django_capture_on_commit_callbacks
):
    product = ProductFactory()
    image = product_image_add(
        product=product, file=SimpleUploadedFile("a.png", PNG, content_type="image/png")
    )
    stored = media_root / image.file.name
    assert stored.exists()
    url = change_url("products/product", product.pk)

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url, admin_form_data(admin_client.get(url), **{"images-0-DELETE": "on"}))

    assert response.status_code == 302
    assert not ProductImage.objects.exists()
    assert not stored.exists()


# -- categories ----------------------------------------------------------------------------------


def test_a_category_added_in_the_admin_goes_through_the_service(
    admin_client, api_client, django_capture_on_commit_callbacks
):
    parent = CategoryFactory(name="Home")
    assert len(api_client.get("/api/v1/catalog/categories/tree/").json()["data"]) == 1

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            f"{ADMIN}/categories/category/add/",
            {
                "name": "Kitchen",
                "slug": "kitchen",
                "parent": str(parent.pk),
                "description": "",
                "position": "0",
            },
        )

    assert response.status_code == 302
    kitchen = Category.objects.get(slug="kitchen")
    assert kitchen.parent == parent
    tree = api_client.get("/api/v1/catalog/categories/tree/").json()["data"]
    assert [child["name"] for child in tree[0]["children"]] == ["Kitchen"]


def test_a_category_cannot_move_below_its_descendant_in_the_admin(admin_client):
    root = CategoryFactory()
    child = CategoryFactory(parent=root)
    url = change_url("categories/category", root.pk)

    response = admin_client.post(url, admin_form_data(admin_client.get(url), parent=str(child.pk)))

    assert response.status_code == 200
    assert "parent" in response.context["adminform"].form.errors
    root.refresh_from_db()
    assert root.parent is None


def test_a_category_moved_in_the_admin_refreshes_cached_reads(
    admin_client, api_client, django_capture_on_commit_callbacks
):
    home, garden = CategoryFactory(name="Home"), CategoryFactory(name="Garden")
    tree_url = "/api/v1/catalog/categories/tree/"
    assert len(api_client.get(tree_url).json()["data"]) == 2
    url = change_url("categories/category", garden.pk)

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url, admin_form_data(admin_client.get(url), parent=str(home.pk)))

    assert response.status_code == 302
    tree = api_client.get(tree_url).json()["data"]
    assert [(node["name"], [child["name"] for child in node["children"]]) for node in tree] == [
        ("Home", ["Garden"])
    ]


def test_category_deletes_in_the_admin_go_through_the_service(
    admin_client, api_client, django_capture_on_commit_callbacks
):
    empty, full = CategoryFactory(name="Empty"), CategoryFactory(name="Full")
    ProductFactory(category=full)
    assert len(api_client.get("/api/v1/catalog/categories/").json()["data"]) == 2

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(f"{ADMIN}/categories/category/{empty.pk}/delete/", {"post": "yes"})
    refused = admin_client.post(f"{ADMIN}/categories/category/{full.pk}/delete/", {"post": "yes"})

    assert refused.status_code == 200  # Django's "cannot delete: protected objects" page
    assert list(Category.objects.values_list("name", flat=True)) == ["Full"]
    assert [row["name"] for row in api_client.get("/api/v1/catalog/categories/").json()["data"]] == ["Full"]


# -- reviews -------------------------------------------------------------------------------------


def test_a_review_deleted_in_the_admin_updates_the_rating(admin_client):
    product = ProductFactory()
    five, one = buyer_reviews(product, 5, 1)

    response = admin_client.post(f"{ADMIN}/reviews/review/{one.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    product.refresh_from_db()
    assert (product.rating_average, product.rating_count) == (Decimal("5.00"), 1)
    assert list(Review.objects.all()) == [five]


def test_hide_and_unhide_actions_moderate_through_the_service(admin_client):
    product = ProductFactory()
    five, one = buyer_reviews(product, 5, 1)

    admin_client.post(f"{ADMIN}/reviews/review/", {"action": "hide", "_selected_action": [str(one.pk)]})

    product.refresh_from_db()
    one.refresh_from_db()
    assert (product.rating_average, product.rating_count) == (Decimal("5.00"), 1)
    assert (one.is_visible, one.moderated_by) == (False, "admin:admin")

    admin_client.post(f"{ADMIN}/reviews/review/", {"action": "unhide", "_selected_action": [str(one.pk)]})

    product.refresh_from_db()
    assert (product.rating_average, product.rating_count) == (Decimal("3.00"), 2)


def test_a_review_text_edited_in_the_admin_keeps_the_rating(admin_client):
    product = ProductFactory()
    [review] = buyer_reviews(product, 4)
    url = change_url("reviews/review", review.pk)

    response = admin_client.post(url, admin_form_data(admin_client.get(url), title="Edited", rating="1"))

    assert response.status_code == 302
    review.refresh_from_db()
    assert (review.title, review.rating) == ("Edited", 4)


def test_reviews_and_purchases_are_not_added_in_the_admin(admin_client):
    assert admin_client.get(f"{ADMIN}/reviews/review/add/").status_code == 403
    assert admin_client.get(f"{ADMIN}/reviews/purchase/add/").status_code == 403
    purchase = PurchaseFactory()
    assert (
        admin_client.post(f"{ADMIN}/reviews/purchase/{purchase.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    assert Purchase.objects.exists()


# -- stock ---------------------------------------------------------------------------------------


def test_a_stock_adjustment_added_in_the_admin_adjusts_the_stock(
    admin_client, api_client, django_capture_on_commit_callbacks
):
    product = ProductFactory(stock_on_hand=5)
    assert api_client.get(f"{PRODUCTS_API}{product.pk}/").json()["data"]["stock"] == 5

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            f"{ADMIN}/inventory/stockadjustment/add/",
            {"product": str(product.pk), "delta": "7", "reason": "restock"},
        )

    assert response.status_code == 302
    adjustment = StockAdjustment.objects.get()
    assert (adjustment.stock_before, adjustment.stock_after, adjustment.actor_id) == (5, 12, "admin:admin")
    assert api_client.get(f"{PRODUCTS_API}{product.pk}/").json()["data"]["stock"] == 12


def test_a_stock_adjustment_below_the_reserved_units_is_refused_in_the_admin(admin_client):
    product = ProductFactory(stock_on_hand=5)
    reserve(product, 4)

    response = admin_client.post(
        f"{ADMIN}/inventory/stockadjustment/add/",
        {"product": str(product.pk), "delta": "-3", "reason": "count"},
        follow=True,
    )

    assert any("below what is reserved" in message for message in messages_of(response))
    assert not StockAdjustment.objects.exists()
    product.refresh_from_db()
    assert (product.stock_on_hand, product.reserved) == (5, 4)


def test_reservations_are_read_only_in_the_admin(admin_client):
    reservation = StockReservationFactory()

    assert admin_client.get(change_url("inventory/stockreservation", reservation.pk)).status_code == 200
    assert (
        admin_client.post(
            f"{ADMIN}/inventory/stockreservation/{reservation.pk}/delete/", {"post": "yes"}
        ).status_code
        == 403
    )
    assert admin_client.get(f"{ADMIN}/inventory/stockreservation/add/").status_code == 403
    assert StockReservation.objects.filter(pk=reservation.pk).exists()


def test_every_catalog_admin_page_renders(admin_client):
    from django.contrib import admin

    review = ReviewFactory()
    ProductImageFactory(product=review.product)
    rows = {
        Product: review.product,
        Review: review,
        Category: CategoryFactory(),
        StockReservation: StockReservationFactory(),
        StockAdjustment: StockAdjustment.objects.create(
            product=review.product, delta=1, stock_before=0, stock_after=1, reason="r", actor_id="a"
        ),
        Purchase: PurchaseFactory(),
    }
    for model in admin.site._registry:
        if not model.__module__.startswith("catalog."):
            continue
        base = f"{ADMIN}/{model._meta.app_label}/{model._meta.model_name}/"
        assert admin_client.get(base).status_code == 200, base
        if model in rows:
            assert admin_client.get(f"{base}{rows[model].pk}/change/").status_code == 200, base
