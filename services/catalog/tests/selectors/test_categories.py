import pytest

from catalog.categories.models import Category
from catalog.categories.selectors import category_get_by_id_or_slug, category_subtree_ids, category_tree
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


def test_the_subtree_is_the_category_and_everything_below_it():
    root = CategoryFactory()
    child = CategoryFactory(parent=root)
    grandchild = CategoryFactory(parent=child)
    CategoryFactory()

    subtree = Category.objects.filter(id__in=category_subtree_ids(category_id=root.pk))
    assert set(subtree.values_list("id", flat=True)) == {root.pk, child.pk, grandchild.pk}


def test_category_lookup_by_id_or_slug():
    category = CategoryFactory(slug="mugs")

    assert category_get_by_id_or_slug(value=str(category.pk)) == category
    assert category_get_by_id_or_slug(value="mugs") == category
    assert category_get_by_id_or_slug(value="nope") is None
