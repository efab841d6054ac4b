"""Writes to the category tree.

Every change to the tree's shape (a create under a parent, a move, a delete) first takes one
transaction-scoped advisory lock, :func:`_lock_tree`. The "not below itself" check reads
committed rows: without the lock, two concurrent moves (A under B, B under A) would both pass
it and commit a cycle. With it they apply one after the other and the second sees the first.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from catalog.cache import invalidate_catalog_reads
from catalog.categories.errors import CategoryErrorCode
from catalog.categories.models import Category
from catalog.categories.selectors import category_subtree_ids
from catalog.limits import MAX_INT
from catalog.slugs import unique_slug
from servicekit.envelope.errors import Conflict, NotFound

UPDATABLE_FIELDS = {"name", "slug", "description", "position", "parent"}

# pg_advisory_xact_lock takes a bigint; advisory locks are per database (shared by every
# service's schema), so the key is derived from a name no other service uses.
TREE_LOCK_KEY = int.from_bytes(hashlib.sha256(b"catalog.categories.tree").digest()[:8], "big", signed=True)


def _lock_tree() -> None:
    """Serialise changes to the tree's shape until this transaction ends."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [TREE_LOCK_KEY])


def _locked_category(category_id: Any) -> Category:
    """The category's current row, locked; NotFound if it was deleted since the caller read it."""
    category = Category.objects.select_for_update().filter(pk=category_id).first()
    if category is None:
        raise NotFound("Category not found.")
    return category


def _parent_or_error(parent_id: uuid.UUID | None, *, field: str = "parent") -> Category | None:
    if parent_id is None:
        return None
    parent = Category.objects.filter(pk=parent_id).first()
    if parent is None:
        raise ValidationError({field: ["Unknown category."]})
    return parent


def category_is_within(*, category_id: uuid.UUID, root_id: uuid.UUID) -> bool:
    """Whether ``category_id`` is ``root_id`` or one of its descendants (committed rows)."""
    return Category.objects.filter(pk=category_id, id__in=category_subtree_ids(category_id=root_id)).exists()


def _check_slug_free(slug: str, *, exclude_pk: Any = None) -> None:
    if Category.objects.filter(slug=slug).exclude(pk=exclude_pk).exists():
        raise ValidationError({"slug": ["A category with this slug already exists."]})


def _check_position(position: Any) -> None:
    if not 0 <= position <= MAX_INT:
        raise ValidationError({"position": [f"Ensure this value is between 0 and {MAX_INT}."]})


def _save(category: Category, **kwargs: Any) -> None:
    try:
        with transaction.atomic():
            category.save(**kwargs)
    except IntegrityError as exc:
        constraint = getattr(getattr(exc.__cause__, "diag", None), "constraint_name", None) or ""
        if "slug" in constraint:  # a concurrent writer took the slug between the check and the insert
            raise ValidationError({"slug": ["A category with this slug already exists."]}) from None
        raise


@transaction.atomic
def category_create(
    *,
    name: str,
    parent_id: uuid.UUID | None = None,
    slug: str | None = None,
    description: str = "",
    position: int = 0,
) -> Category:
    _check_position(position)
    if parent_id is not None:
        _lock_tree()  # the parent cannot be deleted between the check and the insert
    parent = _parent_or_error(parent_id)
    if slug:
        _check_slug_free(slug)
    category = Category(
        name=name,
        parent=parent,
        slug=slug or unique_slug(Category, name),
        description=description,
        position=position,
    )
    _save(category)
    invalidate_catalog_reads()
    return category


@transaction.atomic
def category_update(*, category: Category, data: dict[str, Any]) -> Category:
    """Change any of name, slug, description, position, parent (moving a subtree).

    The row is re-read and locked (NotFound if it was deleted meanwhile); a move holds the
    tree lock from the cycle check to the commit.
    """
    unknown = set(data) - UPDATABLE_FIELDS
    if unknown:
        raise ValueError(f"not updatable: {sorted(unknown)}")
    if "position" in data:
        _check_position(data["position"])
    if "parent" in data:
        _lock_tree()
    category = _locked_category(category.pk)
    changed: list[str] = []
    if "parent" in data:
        parent = _parent_or_error(data["parent"])
        if parent is not None and category_is_within(category_id=parent.pk, root_id=category.pk):
            raise ValidationError({"parent": ["A category cannot move below itself or its descendants."]})
        if (parent.pk if parent else None) != category.parent_id:
            category.parent = parent
            changed.append("parent")
    if data.get("slug") and data["slug"] != category.slug:
        _check_slug_free(data["slug"], exclude_pk=category.pk)
        category.slug = data["slug"]
        changed.append("slug")
    for field in ("name", "description", "position"):
        if field in data and data[field] != getattr(category, field):
            setattr(category, field, data[field])
            changed.append(field)
    if changed:
        _save(category, update_fields=[*changed, "updated_at"])
        invalidate_catalog_reads()
    return category


def category_lock_for_delete(
    *, category: Category, reassign_to_id: uuid.UUID | None = None
) -> tuple[Category, Category | None]:
    """The first half of deleting a category, in the caller's transaction: take the tree lock
    (no concurrent move can put the target below the category, no subcategory can be created
    under it, until the delete commits) and return the category's locked row and the target
    its contents move to (validated; None without ``reassign_to_id``).

    Products build on categories, so the whole use case, which moves the category's products
    too, is ``catalog.products.services.category_delete``; it ends with
    :func:`category_delete_locked`.
    """
    _lock_tree()
    category = _locked_category(category.pk)
    if reassign_to_id is None:
        return category, None
    target = _parent_or_error(reassign_to_id, field="reassign_to")
    if category_is_within(category_id=target.pk, root_id=category.pk):
        raise ValidationError({"reassign_to": ["The target cannot be the category itself or below it."]})
    return category, target


def category_delete_locked(*, category: Category, target: Category | None, product_count: int) -> None:
    """The second half: without a target, refuse a category that holds ``product_count``
    products or any subcategory; with one, move the subcategories (with their subtrees) to it.
    Then delete the category."""
    if target is None:
        child_count = Category.objects.filter(parent=category).count()
        if product_count or child_count:
            raise Conflict(
                "The category is not empty: reassign its products and subcategories with ?reassign_to=<category id>.",
                code=CategoryErrorCode.NOT_EMPTY,
                details={"products": product_count, "subcategories": child_count},
            )
    else:
        Category.objects.filter(parent=category).update(parent=target)
    category.delete()
    invalidate_catalog_reads()
