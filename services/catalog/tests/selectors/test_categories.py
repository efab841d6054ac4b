import pytest

from catalog.categories.selectors import category_descendant_ids, category_get_by_id_or_slug, category_tree
from tests.factories import CategoryFactory

pytestmark = pytest.mark.django_db


def test_category_tree_nests_children_by_position(django_assert_num_queries):
    home = CategoryFactory(name="Home", position=1)
    garden = CategoryFactory(name="Garden", position=0)
    mugs = CategoryFactory(name="Mugs", parent=home, position=2)
    cups = CategoryFactory(name="Cups", parent=home, position=1)

    with django_assert_num_queries(1):
        tree = category_tree()

    assert [node["category"] for node in tree] == [garden, home]
    assert [node["category"] for node in tree[1]["children"]] == [cups, mugs]


def test_descendants_cover_the_whole_subtree():
    root = CategoryFactory()
    child = CategoryFactory(parent=root)
    grandchild = CategoryFactory(parent=child)
    CategoryFactory()

    assert category_descendant_ids(category_id=root.pk) == {child.pk, grandchild.pk}


def test_category_lookup_by_id_or_slug():
    category = CategoryFactory(slug="mugs")

    assert category_get_by_id_or_slug(value=str(category.pk)) == category
    assert category_get_by_id_or_slug(value="mugs") == category
    assert category_get_by_id_or_slug(value="nope") is None
