"""Reads of the category tree."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import QuerySet
from django.db.models.expressions import RawSQL

from catalog.categories.models import Category
from servicekit.envelope.errors import NotFound


def category_list(*, filters: dict[str, Any] | None = None) -> QuerySet[Category]:
    """All categories, by position; ``filters["parent"]`` (an id, or None for roots) narrows to one level."""
    categories = Category.objects.all()
    if filters and "parent" in filters:
        categories = categories.filter(parent_id=filters["parent"])
    return categories


def category_get(*, category_id: uuid.UUID | str) -> Category:
    try:
        return Category.objects.get(pk=category_id)
    except (Category.DoesNotExist, ValueError):
        raise NotFound("Category not found.") from None


def category_get_by_id_or_slug(*, value: str) -> Category | None:
    try:
        return Category.objects.get(pk=uuid.UUID(value))
    except (ValueError, Category.DoesNotExist):
        pass
    return Category.objects.filter(slug=value).first()


def category_subtree_ids(*, category_id: uuid.UUID) -> RawSQL:
    """The ids of a category and all its descendants, as a subquery (no extra round trip).

    ``Product.objects.filter(category_id__in=category_subtree_ids(category_id=…))``.
    """
    table = Category._meta.db_table
    return RawSQL(
        f"""
        WITH RECURSIVE subtree(id) AS (
            SELECT id FROM {table} WHERE id = %s
            UNION
            SELECT child.id FROM {table} child JOIN subtree ON child.parent_id = subtree.id
        )
        SELECT id FROM subtree
        """,
        [category_id],
    )


def category_tree() -> list[dict[str, Any]]:
    """The whole tree as nested dicts, siblings by position then name; one query."""
    nodes: dict[uuid.UUID, dict[str, Any]] = {}
    roots: list[dict[str, Any]] = []
    categories = list(Category.objects.order_by("position", "name", "id"))
    for category in categories:
        nodes[category.id] = {"category": category, "children": []}
    for category in categories:
        node = nodes[category.id]
        parent = nodes.get(category.parent_id) if category.parent_id else None
        (parent["children"] if parent else roots).append(node)
    return roots
