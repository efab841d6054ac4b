"""Who may do what, for the writes the other API tests do not cover from every side."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from catalog.categories.models import Category
from catalog.products.models import Product, ProductImage
from catalog.products.services import product_image_add
from tests.factories import CategoryFactory, ProductFactory, ProductImageFactory, ReviewFactory

pytestmark = pytest.mark.django_db

PRODUCTS = "/api/v1/catalog/products/"
CATEGORIES = "/api/v1/catalog/categories/"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def error_code(response, status):
    assert response.status_code == status, response.content
    return response.json()["error"]["code"]


@pytest.fixture
def outsiders(vendor_client, customer_client, api_client):
    """Everyone but staff, with the answer each gets for a staff-only write."""
    return [(vendor_client, 403, "permission_denied"), (customer_client, 403, "permission_denied"),
            (api_client, 401, "not_authenticated")]  # fmt: skip


def test_only_staff_change_or_delete_categories(outsiders, staff_client):
    category = CategoryFactory(name="Home")
    url = f"{CATEGORIES}{category.pk}/"

    for client, status, code in outsiders:
        assert error_code(client.patch(url, {"name": "Mine"}, format="json"), status) == code
        assert error_code(client.delete(url), status) == code
    category.refresh_from_db()
    assert category.name == "Home"

    assert staff_client.patch(url, {"name": "House"}, format="json").status_code == 200
    assert staff_client.delete(url).status_code == 204
    assert not Category.objects.exists()


def test_customers_and_anonymous_callers_cannot_delete_products(customer_client, api_client, captured_events):
    product = ProductFactory()

    assert error_code(customer_client.delete(f"{PRODUCTS}{product.pk}/"), 403) == "permission_denied"
    assert error_code(api_client.delete(f"{PRODUCTS}{product.pk}/"), 401) == "not_authenticated"
    assert Product.objects.filter(pk=product.pk).exists()
    captured_events.assert_nothing_published()


def test_staff_delete_a_vendors_product(vendor_client, staff_client, captured_events):
    product = ProductFactory(vendor_id=vendor_client.user_id)

    assert staff_client.delete(f"{PRODUCTS}{product.pk}/").status_code == 204

    assert not Product.objects.filter(pk=product.pk).exists()
    captured_events.assert_published("catalog.product.deleted", product_id=str(product.pk))


def test_the_owner_deletes_an_image_and_its_file_goes(
    vendor_client, media_root, django_capture_on_commit_callbacks
):
    product = ProductFactory(vendor_id=vendor_client.user_id)
    image = product_image_add(
        product=product, file=SimpleUploadedFile("a.png", PNG, content_type="image/png")
    )
    stored = media_root / image.file.name
    assert stored.exists()

    with django_capture_on_commit_callbacks(execute=True):  # files are removed after the commit
        response = vendor_client.delete(f"{PRODUCTS}{product.pk}/images/{image.pk}/")

    assert response.status_code == 204
    assert not ProductImage.objects.exists()
    assert not stored.exists()


def test_customers_cannot_add_or_delete_images(customer_client, api_client):
    image = ProductImageFactory()
    images = f"{PRODUCTS}{image.product_id}/images/"

    assert customer_client.post(images, {"url": "https://x.example/a.jpg"}, format="json").status_code == 403
    assert customer_client.delete(f"{images}{image.pk}/").status_code == 403
    assert api_client.delete(f"{images}{image.pk}/").status_code == 401
    assert ProductImage.objects.count() == 1


def test_a_product_has_at_most_max_images_per_product(vendor_client, settings):
    settings.CATALOG = {**settings.CATALOG, "MAX_IMAGES_PER_PRODUCT": 2}
    product = ProductFactory(vendor_id=vendor_client.user_id)
    images = f"{PRODUCTS}{product.pk}/images/"

    for n in range(2):
        assert (
            vendor_client.post(images, {"url": f"https://x.example/{n}.jpg"}, format="json").status_code
            == 201
        )
    refused = vendor_client.post(images, {"url": "https://x.example/3.jpg"}, format="json")

    assert error_code(refused, 400) == "validation_error"
    assert "at most 2 images" in str(refused.json()["error"]["details"])
    assert ProductImage.objects.filter(product=product).count() == 2


def test_only_staff_hide_or_unhide_reviews(vendor_client, customer_client, api_client):
    review = ReviewFactory(is_visible=False)

    for action in ("hide", "unhide"):
        url = f"/api/v1/catalog/reviews/{review.pk}/{action}/"
        assert error_code(customer_client.post(url), 403) == "permission_denied"
        assert error_code(vendor_client.post(url), 403) == "permission_denied"
        assert error_code(api_client.post(url), 401) == "not_authenticated"
    review.refresh_from_db()
    assert review.is_visible is False


def test_a_vendors_cached_list_is_never_served_to_another_vendor(vendor_client, other_vendor_client):
    ProductFactory(sku="PUBLIC")
    ProductFactory(sku="A-DRAFT", is_active=False, vendor_id=vendor_client.user_id)
    ProductFactory(sku="B-DRAFT", is_active=False, vendor_id=other_vendor_client.user_id)

    def skus(client):
        return sorted(row["sku"] for row in client.get(PRODUCTS).json()["data"])

    assert skus(vendor_client) == ["A-DRAFT", "PUBLIC"]  # cached for vendor A
    assert skus(other_vendor_client) == ["B-DRAFT", "PUBLIC"]  # same URL, vendor B's own answer
    assert skus(vendor_client) == ["A-DRAFT", "PUBLIC"]
