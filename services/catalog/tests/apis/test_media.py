"""Uploaded product images are served back by catalog at their URL (/media/catalog/…)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def assert_not_found(response):
    assert response.status_code == 404, response.content
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["error"]["code"] == "not_found"


def test_an_uploaded_image_is_served_at_its_url(media_root, staff_client, api_client):
    product = ProductFactory()
    upload = SimpleUploadedFile("front.png", PNG, content_type="image/png")
    created = staff_client.post(
        f"/api/v1/catalog/products/{product.pk}/images/", {"file": upload}, format="multipart"
    )
    assert created.status_code == 201, created.content
    url = created.json()["data"]["url"]
    assert url.startswith("/media/catalog/products/")

    response = api_client.get(url)  # anonymous: product images are public

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PNG
    assert response["Content-Type"] == "image/png"
    assert response["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert api_client.head(url).status_code == 200
    assert api_client.post(url).status_code == 405


@pytest.mark.parametrize(
    "path",
    [
        "products/2026/01/missing.png",
        "products/2026/01",
        "../outside.png",
        "%2e%2e/outside.png",
        "products/../../outside.png",
        "products/notes.txt",
        "products/page.html",
    ],
)
def test_anything_else_under_media_is_a_404_envelope(media_root, api_client, path):
    (media_root / "products").mkdir()
    (media_root / "products" / "notes.txt").write_text("not an image")
    (media_root / "products" / "page.html").write_text("<script>alert(1)</script>")
    (media_root.parent / "outside.png").write_bytes(PNG)  # next to MEDIA_ROOT, not in it

    assert_not_found(api_client.get(f"/media/catalog/{path}"))
