"""Writes to the category tree."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from catalog.cache import invalidate_catalog_reads
from catalog.categories.models import Category
from catalog.categories.selectors import category_subtree_ids
from catalog.slugs import unique_slug
from servicekit.envelope.errors import Conflict

UPDATABLE_FIELDS = {"name", "slug", "description", "position", "parent"}


def _parent_or_error(parent_id: uuid.UUID | None) -> Category | None:
    if parent_id is None:
        return None
    parent = Category.objects.filter(pk=parent_id).first()
    if parent is None:
        raise ValidationError({"parent": ["Unknown category."]})
    return parent


def _check_slug_free(slug: str, *, exclude_pk: Any = None) -> None:
    if Category.objects.filter(slug=slug).exclude(pk=exclude_pk).exists():
        raise ValidationError({"slug": ["A category with this slug already exists."]})


def _save(category: Category, **kwargs: Any) -> None:
    try:
        with transaction.atomic():
            category.save(**kwargs)
    except IntegrityError:  # a concurrent writer took the slug between the check and the insert
        raise ValidationError({"slug": ["A category with this slug already exists."]}) from None


@transaction.atomic
def category_create(
    *,
    name: str,
    parent_id: uuid.UUID | None = None,
    slug: str | None = None,
    description: str = "",
    position: int = 0,
) -> Category:
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
    """Change any of name, slug, description, position, parent (moving a subtree)."""
    unknown = set(data) - UPDATABLE_FIELDS
    if unknown:
        raise ValueError(f"not updatable: {sorted(unknown)}")
    changed: list[str] = []
    if "parent" in data:
        parent = _parent_or_error(data["parent"])
        if (
            parent is not None
            and Category.objects.filter(
                pk=parent.pk, id__in=category_subtree_ids(category_id=category.pk)
            ).exists()
        ):
            raise ValidationError({"parent": ["A category cannot move below itself or its descendants."]})
        if parent != category.parent:
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


@transaction.atomic
def category_delete(*, category: Category, reassign_to_id: uuid.UUID | None = None) -> None:
    """Delete an empty category; one with products or subcategories needs ``reassign_to_id``.

    With a target, the category's own products and its direct subcategories (with their
    subtrees) move to the target first, and each moved product publishes
    ``catalog.product.updated`` (its ``category_id`` changed).
    """
    from catalog.products.models import Product
    from catalog.products.services import product_publish_updated

    category = Category.objects.select_for_update().get(pk=category.pk)
    product_count = Product.objects.filter(category=category).count()
    child_count = Category.objects.filter(parent=category).count()

    if (product_count or child_count) and reassign_to_id is None:
        raise Conflict(
            "The category is not empty: reassign its products and subcategories with ?reassign_to=<category id>.",
            code="category_not_empty",
            details={"products": product_count, "subcategories": child_count},
        )
    if reassign_to_id is not None:
        target = Category.objects.filter(pk=reassign_to_id).first()
        if target is None:
            raise ValidationError({"reassign_to": ["Unknown category."]})
        if Category.objects.filter(
            pk=target.pk, id__in=category_subtree_ids(category_id=category.pk)
        ).exists():
            raise ValidationError({"reassign_to": ["The target cannot be the category itself or below it."]})
        Category.objects.filter(parent=category).update(parent=target)
        moved = list(Product.objects.select_for_update().filter(category=category).order_by("id"))
        Product.objects.filter(pk__in=[product.pk for product in moved]).update(category=target)
        for product in moved:
            product.category_id = target.pk
            product_publish_updated(product=product, changed_fields=["category"])
    category.delete()
    invalidate_catalog_reads()
