import uuid
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.products.models import Product, ProductImage
from tests.factories import CategoryFactory, ProductFactory, ProductImageFactory

pytestmark = pytest.mark.django_db

PRODUCTS = "/api/v1/catalog/products/"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def detail(product) -> str:
    return f"{PRODUCTS}{product.pk}/"


def payload(**overrides):
    return {"sku": "MUG-1", "name": "Blue mug", "price": "12.50", "currency": "USD", "stock": 5} | overrides


def error_of(response, status):
    assert response.status_code == status, response.content
    return response.json()["error"]


# -- create ----------------------------------------------------------------------------


def test_staff_creates_a_product_and_it_reads_back_with_stock_reserved_and_available(staff_client):
    category = CategoryFactory()

    response = staff_client.post(PRODUCTS, payload(category=str(category.pk)), format="json")

    assert response.status_code == 201, response.content
    data = response.json()["data"]
    assert {key: data[key] for key in ("sku", "name", "price", "currency", "stock", "reserved", "available")} == {
        "sku": "MUG-1", "name": "Blue mug", "price": "12.50", "currency": "USD",
        "stock": 5, "reserved": 0, "available": 5,
    }  # fmt: skip
    assert data["category"] == str(category.pk)
    assert data["vendor_id"] == staff_client.user_id
    assert response.json()["meta"]["request_id"]


def test_a_vendor_creates_a_product_they_own(vendor_client):
    response = vendor_client.post(PRODUCTS, payload(), format="json")

    assert response.status_code == 201, response.content
    assert Product.objects.get().vendor_id == vendor_client.user_id


def test_customers_cannot_create_products_and_anonymous_callers_must_authenticate(
    customer_client, api_client
):
    assert (
        error_of(customer_client.post(PRODUCTS, payload(), format="json"), 403)["code"] == "permission_denied"
    )
    assert error_of(api_client.post(PRODUCTS, payload(), format="json"), 401)["code"] == "not_authenticated"
    assert not Product.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"price": "-1.00"}, "price"),
        ({"price": 12.5}, "price"),  # a JSON float: money is never a float
        ({"price": "abc"}, "price"),
        ({"currency": "ABC"}, "currency"),
        ({"currency": "US"}, "currency"),
        ({"category": str(uuid.uuid4())}, "category"),
        ({"sku": "has space"}, "sku"),
        ({"stock": -1}, "stock"),
        ({"name": ""}, "name"),
    ],
)
def test_create_validation_errors_name_the_field_and_create_nothing(
    staff_client, overrides, field, captured_events
):
    response = staff_client.post(PRODUCTS, payload(**overrides), format="json")

    error = error_of(response, 400)
    assert error["code"] == "validation_error"
    assert field in error["details"], error
    assert not Product.objects.exists()
    captured_events.assert_nothing_published()


def test_a_duplicate_sku_is_a_validation_error(staff_client):
    ProductFactory(sku="MUG-1")

    error = error_of(staff_client.post(PRODUCTS, payload(sku="mug-1"), format="json"), 400)

    assert error["details"] == {"sku": ["A product with this SKU already exists."]}
    assert Product.objects.count() == 1


# -- read --------------------------------------------------------------------------------


def test_anyone_lists_active_products_in_pages(api_client):
    ProductFactory.create_batch(3)
    ProductFactory(is_active=False)

    response = api_client.get(PRODUCTS, {"page_size": 2})

    assert response.status_code == 200
    body = response.json()
    assert len(body["data"]) == 2
    assert body["meta"]["pagination"]["count"] == 3
    assert body["meta"]["pagination"]["next"]


def test_page_size_is_capped(api_client, settings):
    settings.SERVICEKIT = {**settings.SERVICEKIT, "MAX_PAGE_SIZE": 5}
    ProductFactory.create_batch(7)

    body = api_client.get(PRODUCTS, {"page_size": 1000}).json()

    assert len(body["data"]) == 5
    assert body["meta"]["pagination"]["page_size"] == 5


def test_an_inactive_product_is_a_404_for_customers_but_visible_to_its_vendor_and_staff(
    client_for, customer_client, staff_client, api_client
):
    owner = client_for(roles=("vendor",))
    product = ProductFactory(is_active=False, vendor_id=owner.user_id)

    assert error_of(customer_client.get(detail(product)), 404)["code"] == "not_found"
    assert api_client.get(detail(product)).status_code == 404
    assert client_for(roles=("vendor",)).get(detail(product)).status_code == 404
    assert owner.get(detail(product)).status_code == 200
    assert staff_client.get(detail(product)).status_code == 200


def test_list_filters_search_and_ordering_through_the_api(api_client):
    home = CategoryFactory(slug="home")
    mugs = CategoryFactory(parent=home)
    ProductFactory(sku="MUG-1", name="Blue mug", price=Decimal("12.00"), category=mugs)
    ProductFactory(sku="MUG-2", name="Red mug", price=Decimal("8.00"), category=mugs, stock_on_hand=0)
    ProductFactory(sku="RAKE", name="Garden rake", price=Decimal("30.00"))

    def skus(**params):
        response = api_client.get(PRODUCTS, params)
        assert response.status_code == 200, response.content
        return [row["sku"] for row in response.json()["data"]]

    assert skus(category="home", ordering="price") == ["MUG-2", "MUG-1"]
    assert skus(category=str(mugs.pk), in_stock="true") == ["MUG-1"]
    assert skus(min_price="10", max_price="20") == ["MUG-1"]
    assert skus(search="mug", ordering="-price") == ["MUG-1", "MUG-2"]
    assert skus(search="rake") == ["RAKE"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"category": "no-such-category"}, "category"),
        ({"min_price": "10", "max_price": "5"}, "max_price"),
        ({"ordering": "random()"}, "ordering"),
        ({"in_stock": "maybe"}, "in_stock"),
        ({"min_price": "-1"}, "min_price"),
    ],
)
def test_invalid_filters_are_validation_errors(api_client, params, field):
    error = error_of(api_client.get(PRODUCTS, params), 400)

    assert field in error["details"]


def test_the_number_of_queries_for_a_page_does_not_grow_with_the_page_size(api_client, settings):
    settings.CATALOG = {**settings.CATALOG, "CACHE_ENABLED": False}
    category = CategoryFactory()
    for product in ProductFactory.create_batch(30, category=category):
        ProductImageFactory.create_batch(2, product=product)

    counts = {}
    for size in (2, 25):
        with CaptureQueriesContext(connection) as queries:
            response = api_client.get(
                PRODUCTS, {"page_size": size, "category": str(category.pk), "search": "product"}
            )
        assert response.status_code == 200 and len(response.json()["data"]) == size
        assert all(len(row["images"]) == 2 for row in response.json()["data"])
        counts[size] = len(queries)

    assert counts[2] == counts[25] == 4  # category filter lookup, count, page, images


def test_reads_are_cached_and_invalidated_by_a_change(
    api_client, staff_client, django_assert_num_queries, django_capture_on_commit_callbacks
):
    product = ProductFactory(name="Blue mug")
    api_client.get(PRODUCTS)  # fills the cache

    with django_assert_num_queries(0):
        cached = api_client.get(PRODUCTS)
    assert cached.json()["data"][0]["name"] == "Blue mug"

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        staff_client.patch(detail(product), {"name": "Green mug"}, format="json")
    assert api_client.get(PRODUCTS).json()["data"][0]["name"] == "Blue mug"  # not committed yet
    for callback in callbacks:
        callback()  # the commit

    assert api_client.get(PRODUCTS).json()["data"][0]["name"] == "Green mug"


def test_staff_and_the_public_do_not_share_cached_answers(api_client, staff_client):
    ProductFactory(is_active=False)

    assert api_client.get(PRODUCTS).json()["data"] == []
    assert len(staff_client.get(PRODUCTS).json()["data"]) == 1
    assert api_client.get(PRODUCTS).json()["data"] == []


def test_output_serializer_fields_match_its_representation(staff_client):
    from catalog.products.api.serializers import ProductOutputSerializer

    ProductImageFactory()
    row = staff_client.get(PRODUCTS).json()["data"][0]

    assert set(row) == set(ProductOutputSerializer().fields)


# -- update and delete -------------------------------------------------------------------


def test_vendor_updates_own_product_but_gets_404_for_another_vendors(client_for):
    owner, other = client_for(roles=("vendor",)), client_for(roles=("vendor",))
    product = ProductFactory(vendor_id=owner.user_id, price=Decimal("10.00"))

    assert (
        error_of(other.patch(detail(product), {"price": "1.00"}, format="json"), 404)["code"] == "not_found"
    )
    response = owner.patch(detail(product), {"price": "11.50", "is_active": False}, format="json")

    assert response.status_code == 200, response.content
    assert (response.json()["data"]["price"], response.json()["data"]["is_active"]) == ("11.50", False)
    assert Product.objects.get(pk=product.pk).price == Decimal("11.50")


def test_staff_update_any_product_customers_cannot(staff_client, customer_client):
    product = ProductFactory()

    assert customer_client.patch(detail(product), {"name": "x"}, format="json").status_code == 403
    assert staff_client.patch(detail(product), {"name": "Renamed"}, format="json").status_code == 200
    assert Product.objects.get(pk=product.pk).name == "Renamed"


def test_stock_cannot_be_patched_directly(staff_client):
    product = ProductFactory(stock_on_hand=5)

    error = error_of(staff_client.patch(detail(product), {"stock": 50}, format="json"), 400)

    assert "stock" in error["details"]
    assert Product.objects.get(pk=product.pk).stock_on_hand == 5


def test_delete_own_product_other_vendors_get_404(client_for):
    owner, other = client_for(roles=("vendor",)), client_for(roles=("vendor",))
    product = ProductFactory(vendor_id=owner.user_id)

    assert other.delete(detail(product)).status_code == 404
    assert Product.objects.filter(pk=product.pk).exists()
    assert owner.delete(detail(product)).status_code == 204
    assert not Product.objects.filter(pk=product.pk).exists()


def test_deleting_a_product_with_reserved_stock_is_a_conflict(staff_client):
    product = ProductFactory(stock_on_hand=5, reserved=1)

    assert error_of(staff_client.delete(detail(product)), 409)["code"] == "product_has_reservations"


# -- images ------------------------------------------------------------------------------


def test_upload_an_image_file(media_root, client_for):
    owner = client_for(roles=("vendor",))
    product = ProductFactory(vendor_id=owner.user_id)

    upload = SimpleUploadedFile("../../evil.exe", PNG, content_type="application/octet-stream")
    response = owner.post(
        f"{detail(product)}images/", {"file": upload, "alt_text": "front"}, format="multipart"
    )

    assert response.status_code == 201, response.content
    image = ProductImage.objects.get()
    assert image.content_type == "image/png" and image.file.name.endswith(".png")
    assert ".." not in image.file.name and "evil" not in image.file.name
    assert (media_root / image.file.name).read_bytes() == PNG
    assert owner.get(detail(product)).json()["data"]["images"][0]["url"].endswith(".png")


def test_add_an_image_url(staff_client):
    product = ProductFactory()

    response = staff_client.post(
        f"{detail(product)}images/", {"url": "https://cdn.example.com/a.jpg"}, format="json"
    )

    assert response.status_code == 201, response.content
    assert response.json()["data"]["url"] == "https://cdn.example.com/a.jpg"


def test_a_product_is_created_from_json_only_a_form_is_415(staff_client):
    form = "sku=MUG-1&name=Blue+mug&price=12.50&currency=USD&stock=5"
    response = staff_client.generic("POST", PRODUCTS, form, content_type="application/x-www-form-urlencoded")

    assert error_of(response, 415)["code"] == "unsupported_media_type"
    assert not Product.objects.exists()


def test_an_image_is_a_multipart_upload_or_json_never_a_url_encoded_form(staff_client):
    product = ProductFactory()
    form = "url=https%3A%2F%2Fcdn.example.com%2Fa.jpg"

    response = staff_client.generic(
        "POST", f"{detail(product)}images/", form, content_type="application/x-www-form-urlencoded"
    )

    assert error_of(response, 415)["code"] == "unsupported_media_type"
    assert not ProductImage.objects.exists()


def test_an_oversized_image_is_refused(media_root, staff_client, settings):
    settings.CATALOG = {**settings.CATALOG, "MAX_IMAGE_BYTES": 1024}
    product = ProductFactory()
    upload = SimpleUploadedFile("big.png", PNG + b"\x00" * 2048, content_type="image/png")

    error = error_of(
        staff_client.post(f"{detail(product)}images/", {"file": upload}, format="multipart"), 400
    )

    assert "file" in error["details"]
    assert not ProductImage.objects.exists()
    assert list(media_root.rglob("*.*")) == []


@pytest.mark.parametrize(
    "content",
    [b"<svg xmlns='http://www.w3.org/2000/svg'></svg>", b"MZ\x90\x00 not an image", b"GIF"],
)
def test_a_file_that_is_not_a_supported_image_is_refused(media_root, staff_client, content):
    product = ProductFactory()
    upload = SimpleUploadedFile("picture.png", content, content_type="image/png")

    error = error_of(
        staff_client.post(f"{detail(product)}images/", {"file": upload}, format="multipart"), 400
    )

    assert "file" in error["details"]
    assert not ProductImage.objects.exists()


def test_another_vendor_cannot_add_or_remove_images(client_for):
    product = ProductFactory()
    image = ProductImageFactory(product=product)
    other = client_for(roles=("vendor",))

    assert (
        other.post(f"{detail(product)}images/", {"url": "https://x.example/a.jpg"}, format="json").status_code
        == 404
    )
    assert other.delete(f"{detail(product)}images/{image.pk}/").status_code == 404
    assert ProductImage.objects.count() == 1


def test_an_unsupported_method_is_a_405_envelope_naming_the_allowed_ones(staff_client):
    product = ProductFactory()

    response = staff_client.put(detail(product), {"name": "x"}, format="json")

    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"
    assert response["Allow"] == "GET, PATCH, DELETE, HEAD, OPTIONS"


def test_reads_still_work_when_redis_is_down(api_client, settings):
    settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": "redis://127.0.0.1:1/0"}}
    ProductFactory(sku="STILL-HERE")

    response = api_client.get(PRODUCTS)

    assert response.status_code == 200
    assert [row["sku"] for row in response.json()["data"]] == ["STILL-HERE"]


def test_empty_query_parameters_mean_the_same_as_absent_ones(api_client, staff_client):
    ProductFactory(sku="MUG-1", name="Blue mug", price=Decimal("12.00"))
    ProductFactory(sku="RAKE", name="Garden rake", price=Decimal("30.00"))
    empty = "search=&category=&min_price=&max_price=&in_stock=&ordering=&vendor=&currency=&is_active=&page=&page_size="

    for client in (api_client, staff_client):
        response = client.get(f"{PRODUCTS}?{empty}")
        assert response.status_code == 200, response.content
        assert sorted(row["sku"] for row in response.json()["data"]) == ["MUG-1", "RAKE"]

    response = api_client.get(f"{PRODUCTS}?search=mug&category=&min_price=10&max_price=&ordering=")
    assert response.status_code == 200, response.content
    assert [row["sku"] for row in response.json()["data"]] == ["MUG-1"]


def test_price_filters_compare_amounts_and_currency_narrows_them(api_client):
    ProductFactory(sku="USD-12", price=Decimal("12.00"), currency="USD")
    ProductFactory(sku="JPY-1200", price=Decimal("1200"), currency="JPY")

    def skus(query):
        response = api_client.get(f"{PRODUCTS}?{query}")
        assert response.status_code == 200, response.content
        return sorted(row["sku"] for row in response.json()["data"])

    assert skus("min_price=10&max_price=2000") == ["JPY-1200", "USD-12"]  # amounts, not converted
    assert skus("min_price=10&max_price=2000&currency=USD") == ["USD-12"]
