"""API keys narrowed by their scopes, and staff tokens revoked when a role is taken away."""

import pytest

from catalog.categories.models import Category
from catalog.products.models import Product
from catalog.reviews.models import Review
from servicekit.testing.tokens import tokens_revoked
from tests.factories import ProductFactory, PurchaseFactory

pytestmark = pytest.mark.django_db

PRODUCTS = "/api/v1/catalog/products/"
CATEGORIES = "/api/v1/catalog/categories/"
PRODUCT = {"sku": "MUG-1", "name": "Blue mug", "price": "12.50", "currency": "USD", "stock": 5}


def error_code(response, status):
    assert response.status_code == status, response.content
    return response.json()["error"]["code"]


def test_a_read_key_reads_the_catalog_and_writes_nothing(api_key_client_for):
    product = ProductFactory()
    reader = api_key_client_for(scopes=["catalog:read"])
    PurchaseFactory(user_id=reader.user_id, product_id=product.pk)
    assert reader.get(PRODUCTS).status_code == 200
    assert reader.get(f"{PRODUCTS}{product.pk}/reviews/").status_code == 200
    review = {"rating": 5, "title": "Nice", "body": "A nice mug."}
    refused = reader.post(f"{PRODUCTS}{product.pk}/reviews/", review, format="json")
    assert error_code(refused, 403) == "insufficient_scope"
    assert not Review.objects.exists()

    writer = api_key_client_for(reader.user_id, scopes=["catalog:write"])
    assert writer.post(f"{PRODUCTS}{product.pk}/reviews/", review, format="json").status_code == 201


def test_a_vendors_key_writes_products_only_with_catalog_write(api_key_client_for):
    reader = api_key_client_for(roles=["vendor"], scopes=["catalog:read"])
    assert error_code(reader.post(PRODUCTS, PRODUCT, format="json"), 403) == "insufficient_scope"
    assert not Product.objects.exists()
    writer = api_key_client_for(roles=["vendor"], scopes=["catalog:write"])
    assert writer.post(PRODUCTS, PRODUCT, format="json").status_code == 201


def test_a_scope_never_gives_what_the_role_does_not(api_key_client_for):
    customer = api_key_client_for(roles=["customer"], scopes=["catalog:write"])
    assert error_code(customer.post(PRODUCTS, PRODUCT, format="json"), 403) == "permission_denied"
    assert error_code(customer.post(CATEGORIES, {"name": "Home"}, format="json"), 403) == "permission_denied"
    assert not Product.objects.exists() and not Category.objects.exists()


def test_a_key_for_another_context_is_refused_even_where_anyone_may_read(api_key_client_for):
    """Public reads too: a key presented is a key checked (send none to read anonymously)."""
    key = api_key_client_for(scopes=["orders:read", "orders:write"])
    assert error_code(key.get(PRODUCTS), 403) == "insufficient_scope"


def test_a_demoted_staff_members_token_stops_creating_categories(client_for, deliver_event):
    token = client_for(roles=("staff",))
    assert token.post(CATEGORIES, {"name": "Home"}, format="json").status_code == 201

    # identity took the staff role away: it revokes the user's tokens and says so.
    deliver_event(
        "identity.user.tokens_revoked",
        tokens_revoked(token.user_id, reason="roles_changed"),
        producer="identity",
    )
    refused = token.post(CATEGORIES, {"name": "Garden"}, format="json")
    assert error_code(refused, 401) == "token_revoked"
    assert list(Category.objects.values_list("name", flat=True)) == ["Home"]
