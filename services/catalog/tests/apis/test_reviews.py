import pytest

from catalog.reviews.models import Review
from tests.factories import ProductFactory, PurchaseFactory, ReviewFactory

pytestmark = pytest.mark.django_db


def reviews(product) -> str:
    return f"/api/v1/catalog/products/{product.pk}/reviews/"


def buyer(client_for, product):
    client = client_for(roles=("customer",))
    PurchaseFactory(user_id=client.user_id, product_id=product.pk)
    return client


def test_a_buyer_reviews_a_product_once(client_for):
    product = ProductFactory()
    client = buyer(client_for, product)

    created = client.post(reviews(product), {"rating": 5, "title": "Great", "body": "Love it"}, format="json")
    again = client.post(reviews(product), {"rating": 4, "title": "Again"}, format="json")

    assert created.status_code == 201, created.content
    assert again.status_code == 409 and again.json()["error"]["code"] == "review_exists"
    product_data = client.get(f"/api/v1/catalog/products/{product.pk}/").json()["data"]
    assert (product_data["rating_average"], product_data["rating_count"]) == ("5.00", 1)


def test_someone_who_did_not_buy_cannot_review(customer_client, api_client):
    product = ProductFactory()

    refused = customer_client.post(reviews(product), {"rating": 5, "title": "Great"}, format="json")

    assert refused.status_code == 403 and refused.json()["error"]["code"] == "review_not_allowed"
    assert (
        api_client.post(reviews(product), {"rating": 5, "title": "Great"}, format="json").status_code == 401
    )
    assert not Review.objects.exists()


@pytest.mark.parametrize("rating", [0, 6, "five"])
def test_rating_is_one_to_five(client_for, rating):
    product = ProductFactory()

    response = buyer(client_for, product).post(
        reviews(product), {"rating": rating, "title": "t"}, format="json"
    )

    assert response.status_code == 400 and "rating" in response.json()["error"]["details"]


def test_authors_edit_and_delete_their_own_reviews_only(client_for):
    product = ProductFactory()
    author = buyer(client_for, product)
    review_id = author.post(reviews(product), {"rating": 2, "title": "Meh"}, format="json").json()["data"][
        "id"
    ]
    stranger = client_for(roles=("customer",))

    assert (
        stranger.patch(f"/api/v1/catalog/reviews/{review_id}/", {"rating": 1}, format="json").status_code
        == 404
    )
    assert stranger.delete(f"/api/v1/catalog/reviews/{review_id}/").status_code == 404
    edited = author.patch(f"/api/v1/catalog/reviews/{review_id}/", {"rating": 4}, format="json")
    assert edited.status_code == 200 and edited.json()["data"]["rating"] == 4
    assert author.delete(f"/api/v1/catalog/reviews/{review_id}/").status_code == 204
    assert not Review.objects.exists()


def test_staff_hide_and_unhide_reviews(staff_client, api_client, customer_client):
    product = ProductFactory()
    review = ReviewFactory(product=product)

    assert customer_client.post(f"/api/v1/catalog/reviews/{review.pk}/hide/").status_code == 403
    hidden = staff_client.post(
        f"/api/v1/catalog/reviews/{review.pk}/hide/", {"reason": "spam"}, format="json"
    )
    assert hidden.status_code == 200 and hidden.json()["data"]["is_visible"] is False
    assert api_client.get(reviews(product)).json()["data"] == []
    assert len(staff_client.get(reviews(product)).json()["data"]) == 1

    staff_client.post(f"/api/v1/catalog/reviews/{review.pk}/unhide/")
    assert len(api_client.get(reviews(product)).json()["data"]) == 1


def test_reviews_of_an_inactive_product_are_a_404_for_the_public(api_client):
    product = ProductFactory(is_active=False)

    assert api_client.get(reviews(product)).status_code == 404
