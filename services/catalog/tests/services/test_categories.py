import pytest
from django.core.exceptions import ValidationError

from catalog.categories.models import Category
from catalog.categories.services import category_create, category_update
from tests.factories import CategoryFactory

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


@pytest.mark.parametrize("position", [2**31, -1])
def test_category_positions_stay_within_the_integer_range(position):
    category = CategoryFactory(position=3)

    with pytest.raises(ValidationError) as created:
        category_create(name="Far away", position=position)
    with pytest.raises(ValidationError) as updated:
        category_update(category=category, data={"position": position})

    assert "position" in created.value.message_dict and "position" in updated.value.message_dict
    assert Category.objects.get(pk=category.pk).position == 3
