import pytest
from django.core.exceptions import ValidationError

from catalog.categories.models import Category
from catalog.categories.services import category_create, category_delete, category_update
from catalog.products.models import Product
from servicekit.envelope.errors import Conflict
from tests.factories import CategoryFactory, ProductFactory

pytestmark = pytest.mark.django_db


def test_category_create_derives_a_unique_slug():
    parent = category_create(name="Kitchen & Dining")
    child = category_create(name="Kitchen & Dining", parent_id=parent.pk)

    assert (parent.slug, child.slug) == ("kitchen-dining", "kitchen-dining-2")
    assert child.parent == parent


def test_category_create_rejects_an_unknown_parent_and_a_taken_slug():
    CategoryFactory(slug="mugs")

    with pytest.raises(ValidationError) as unknown_parent:
        category_create(name="Cups", parent_id=Category(name="x").pk)
    with pytest.raises(ValidationError) as taken:
        category_create(name="Mugs", slug="mugs")

    assert "parent" in unknown_parent.value.message_dict
    assert "slug" in taken.value.message_dict
    assert Category.objects.count() == 1


def test_category_update_cannot_move_a_category_below_its_own_descendant():
    root = CategoryFactory()
    child = CategoryFactory(parent=root)
    grandchild = CategoryFactory(parent=child)

    with pytest.raises(ValidationError):
        category_update(category=root, data={"parent": grandchild.pk})
    with pytest.raises(ValidationError):
        category_update(category=root, data={"parent": root.pk})

    root.refresh_from_db()
    assert root.parent is None


def test_category_update_moves_a_subtree():
    old_parent, new_parent = CategoryFactory(), CategoryFactory()
    category = CategoryFactory(parent=old_parent)

    category_update(category=category, data={"parent": new_parent.pk, "name": "Renamed"})

    category.refresh_from_db()
    assert (category.parent, category.name) == (new_parent, "Renamed")


def test_category_delete_removes_an_empty_category():
    category = CategoryFactory()

    category_delete(category=category)

    assert not Category.objects.filter(pk=category.pk).exists()


@pytest.mark.parametrize("content", ["product", "subcategory"])
def test_category_delete_refuses_a_non_empty_category_without_side_effects(content, captured_events):
    category = CategoryFactory()
    if content == "product":
        ProductFactory(category=category)
    else:
        CategoryFactory(parent=category)

    with pytest.raises(Conflict) as error:
        category_delete(category=category)

    assert error.value.code == "category_not_empty"
    assert Category.objects.filter(pk=category.pk).exists()
    captured_events.assert_nothing_published()


def test_category_delete_with_reassign_moves_products_and_subcategories(captured_events):
    category, target = CategoryFactory(), CategoryFactory()
    product = ProductFactory(category=category)
    child = CategoryFactory(parent=category)

    category_delete(category=category, reassign_to_id=target.pk)

    assert not Category.objects.filter(pk=category.pk).exists()
    assert Product.objects.get(pk=product.pk).category == target
    assert Category.objects.get(pk=child.pk).parent == target
    event = captured_events.assert_published("catalog.product.updated").data
    assert event["category_id"] == str(target.pk) and event["changed_fields"] == ["category"]


def test_category_delete_cannot_reassign_into_its_own_subtree():
    category = CategoryFactory()
    child = CategoryFactory(parent=category)
    ProductFactory(category=category)

    with pytest.raises(ValidationError):
        category_delete(category=category, reassign_to_id=child.pk)

    assert Category.objects.filter(pk=category.pk).exists()


@pytest.mark.parametrize("position", [2**31, -1])
def test_category_positions_stay_within_the_integer_range(position):
    category = CategoryFactory(position=3)

    with pytest.raises(ValidationError) as created:
        category_create(name="Far away", position=position)
    with pytest.raises(ValidationError) as updated:
        category_update(category=category, data={"position": position})

    assert "position" in created.value.message_dict and "position" in updated.value.message_dict
    assert Category.objects.get(pk=category.pk).position == 3
