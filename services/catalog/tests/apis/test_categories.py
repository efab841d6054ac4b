import pytest

from catalog.categories.models import Category
from tests.factories import CategoryFactory, ProductFactory

pytestmark = pytest.mark.django_db

CATEGORIES = "/api/v1/catalog/categories/"


def test_staff_create_categories_in_a_tree(staff_client):
    parent = staff_client.post(CATEGORIES, {"name": "Home"}, format="json")
    child = staff_client.post(
        CATEGORIES, {"name": "Kitchen", "parent": parent.json()["data"]["id"]}, format="json"
    )

    assert parent.status_code == child.status_code == 201, child.content
    assert child.json()["data"]["parent"] == parent.json()["data"]["id"]
    assert child.json()["data"]["slug"] == "kitchen"


def test_only_staff_create_categories(vendor_client, customer_client, api_client):
    assert vendor_client.post(CATEGORIES, {"name": "X"}, format="json").status_code == 403
    assert customer_client.post(CATEGORIES, {"name": "X"}, format="json").status_code == 403
    assert api_client.post(CATEGORIES, {"name": "X"}, format="json").status_code == 401
    assert not Category.objects.exists()


def test_an_unknown_parent_is_a_validation_error(staff_client):
    response = staff_client.post(
        CATEGORIES, {"name": "X", "parent": "8b3c2f1e-0000-4000-8000-000000000000"}, format="json"
    )

    assert response.status_code == 400
    assert "parent" in response.json()["error"]["details"]


def test_anyone_reads_categories_flat_or_as_a_tree(api_client):
    home = CategoryFactory(name="Home")
    kitchen = CategoryFactory(name="Kitchen", parent=home)
    CategoryFactory(name="Mugs", parent=kitchen)

    flat = api_client.get(CATEGORIES).json()
    roots = api_client.get(CATEGORIES, {"parent": ""}).json()
    tree = api_client.get(f"{CATEGORIES}tree/").json()["data"]

    assert flat["meta"]["pagination"]["count"] == 3
    assert [row["name"] for row in roots["data"]] == ["Home"]
    assert tree[0]["name"] == "Home"
    assert tree[0]["children"][0]["name"] == "Kitchen"
    assert tree[0]["children"][0]["children"][0]["name"] == "Mugs"


def test_deleting_a_category_with_products_is_a_conflict_unless_reassigned(staff_client):
    category, target = CategoryFactory(), CategoryFactory()
    ProductFactory(category=category)

    refused = staff_client.delete(f"{CATEGORIES}{category.pk}/")
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "category_not_empty"
    assert refused.json()["error"]["details"] == {"products": 1, "subcategories": 0}
    assert Category.objects.filter(pk=category.pk).exists()

    accepted = staff_client.delete(f"{CATEGORIES}{category.pk}/?reassign_to={target.pk}")
    assert accepted.status_code == 204
    assert not Category.objects.filter(pk=category.pk).exists()


def test_staff_rename_and_move_a_category(staff_client):
    category, parent = CategoryFactory(), CategoryFactory()

    response = staff_client.patch(
        f"{CATEGORIES}{category.pk}/", {"name": "Renamed", "parent": str(parent.pk)}, format="json"
    )

    assert response.status_code == 200, response.content
    assert (response.json()["data"]["name"], response.json()["data"]["parent"]) == ("Renamed", str(parent.pk))


def test_the_tree_is_invalidated_when_a_category_changes(
    api_client, staff_client, django_capture_on_commit_callbacks
):
    category = CategoryFactory(name="Old")
    assert api_client.get(f"{CATEGORIES}tree/").json()["data"][0]["name"] == "Old"

    with django_capture_on_commit_callbacks(execute=True):  # the version is bumped on commit
        staff_client.patch(f"{CATEGORIES}{category.pk}/", {"name": "New"}, format="json")

    assert api_client.get(f"{CATEGORIES}tree/").json()["data"][0]["name"] == "New"


def test_an_empty_reassign_to_is_no_target(staff_client):
    empty, full = CategoryFactory(), CategoryFactory()
    ProductFactory(category=full)

    assert staff_client.delete(f"{CATEGORIES}{empty.pk}/?reassign_to=").status_code == 204
    refused = staff_client.delete(f"{CATEGORIES}{full.pk}/?reassign_to=")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "category_not_empty"
