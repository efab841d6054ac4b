"""Writes to products and their images; each records its events in the same transaction."""

from __future__ import annotations

import logging
import uuid
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction

from catalog.cache import invalidate_catalog_reads
from catalog.categories.models import Category
from catalog.categories.services import category_delete_locked, category_lock_for_delete
from catalog.limits import MAX_INT, json_problem
from catalog.products import events
from catalog.products.errors import ProductErrorCode
from catalog.products.images import EXTENSIONS, validate_image_upload
from catalog.products.models import Product, ProductImage
from catalog.slugs import unique_slug
from servicekit.envelope.errors import Conflict, NotFound
from servicekit.events import publish
from servicekit.money import normalize_amount, validate_amount

logger = logging.getLogger("catalog.products")

UPDATABLE_FIELDS = {
    "sku", "name", "slug", "description", "price", "currency", "is_active", "category", "attributes",
}  # fmt: skip

# Integrity errors that a check could lose to a concurrent writer, as field errors.
_CONSTRAINT_ERRORS = {
    "product_sku_unique": {"sku": ["A product with this SKU already exists."]},
    "products_product_slug_key": {"slug": ["A product with this slug already exists."]},
}


def product_publish_updated(*, product: Product, changed_fields: list[str]) -> None:
    publish(
        "catalog.product.updated",
        subject=str(product.id),
        data=events.product_updated(product, changed_fields=changed_fields),
    )


def _category_or_error(category_id: uuid.UUID | None) -> Category | None:
    if category_id is None:
        return None
    category = Category.objects.filter(pk=category_id).first()
    if category is None:
        raise ValidationError({"category": ["Unknown category."]})
    return category


def _check_unique(*, sku: str | None = None, slug: str | None = None, exclude_pk: Any = None) -> None:
    others = Product.objects.exclude(pk=exclude_pk)
    if sku is not None and others.filter(sku__iexact=sku).exists():
        raise ValidationError(_CONSTRAINT_ERRORS["product_sku_unique"])
    if slug is not None and others.filter(slug=slug).exists():
        raise ValidationError(_CONSTRAINT_ERRORS["products_product_slug_key"])


def _save(product: Product, **kwargs: Any) -> None:
    try:
        with transaction.atomic():
            product.save(**kwargs)
    except IntegrityError as exc:
        diag = getattr(exc.__cause__, "diag", None)
        constraint = getattr(diag, "constraint_name", None) or ""
        errors = _CONSTRAINT_ERRORS.get(constraint)
        if (
            errors is None
            and "category_id" in constraint
            and constraint.endswith("_fk_categories_category_id")
        ):
            errors = {"category": ["Unknown category."]}  # deleted concurrently, after the check
        if errors is None:
            raise
        raise ValidationError(errors) from None


def validate_attributes(attributes: Any) -> None:
    """A JSON object that Postgres can store as ``jsonb`` (no NUL anywhere, finite numbers)."""
    if not isinstance(attributes, dict):
        raise ValidationError({"attributes": ["Attributes must be a JSON object."]})
    problem = json_problem(attributes)
    if problem:
        raise ValidationError({"attributes": [problem]})


def _locked_product(product_id: Any) -> Product:
    """The product's current row, locked for this transaction; NotFound if it was deleted since
    the caller read it (a stale instance must never be saved: that is a 500)."""
    product = (
        Product.objects.select_for_update(of=("self",)).defer("search_vector").filter(pk=product_id).first()
    )
    if product is None:
        raise NotFound("Product not found.")
    return product


def _validate_position(position: int | None) -> None:
    if position is not None and not 0 <= position <= MAX_INT:
        raise ValidationError({"position": [f"Ensure this value is between 0 and {MAX_INT}."]})


@transaction.atomic
def product_create(
    *,
    vendor_id: str,
    sku: str,
    name: str,
    price: Decimal,
    currency: str,
    category_id: uuid.UUID | None = None,
    description: str = "",
    slug: str | None = None,
    is_active: bool = True,
    attributes: dict[str, Any] | None = None,
) -> Product:
    """Create a product owned by ``vendor_id``, with nothing on hand.

    Stock is inventory's to write, with an adjustment for the audit trail: a product created
    with stock is ``catalog.inventory.services.product_create_with_stock``.
    """
    currency = currency.upper()
    validate_amount(price, currency, field="price")
    price = normalize_amount(price)
    attributes = {} if attributes is None else attributes
    validate_attributes(attributes)
    category = _category_or_error(category_id)
    _check_unique(sku=sku, slug=slug or None)

    product = Product(
        sku=sku,
        name=name,
        slug=slug or unique_slug(Product, name),
        description=description,
        price=price,
        currency=currency,
        is_active=is_active,
        vendor_id=vendor_id,
        category=category,
        attributes=attributes,
    )
    _save(product)
    publish("catalog.product.created", subject=str(product.id), data=events.product_created(product))
    invalidate_catalog_reads()
    return product


@transaction.atomic
def product_update(*, product: Product, data: dict[str, Any]) -> Product:
    """Change catalog fields (never stock: see ``catalog.inventory.services.stock_adjust``).

    The row is re-read and locked (NotFound if it was deleted meanwhile), so concurrent
    updates apply one after the other and each ``catalog.product.updated`` carries the full
    committed state; only the changed columns are written.
    """
    unknown = set(data) - UPDATABLE_FIELDS
    if unknown:
        raise ValueError(f"not updatable: {sorted(unknown)}")
    product = _locked_product(product.pk)
    changes = dict(data)
    if "currency" in changes:
        changes["currency"] = changes["currency"].upper()
    if "category" in changes:
        changes["category_id"] = getattr(_category_or_error(changes.pop("category")), "pk", None)
    if "attributes" in changes:
        validate_attributes(changes["attributes"])
    if "price" in changes or "currency" in changes:
        validate_amount(
            changes.get("price", product.price), changes.get("currency", product.currency), field="price"
        )
    if "price" in changes:
        changes["price"] = normalize_amount(changes["price"])
    if changes.get("sku") is not None and changes["sku"] != product.sku:
        _check_unique(sku=changes["sku"], exclude_pk=product.pk)
    if changes.get("slug") and changes["slug"] != product.slug:
        _check_unique(slug=changes["slug"], exclude_pk=product.pk)
    elif "slug" in changes and not changes["slug"]:
        changes.pop("slug")

    changed = [field for field, value in changes.items() if getattr(product, field) != value]
    if not changed:
        return product
    for field in changed:
        setattr(product, field, changes[field])
    _save(product, update_fields=[*changed, "updated_at"])
    product_publish_updated(
        product=product, changed_fields=["category" if f == "category_id" else f for f in changed]
    )
    invalidate_catalog_reads()
    return product


@transaction.atomic
def product_delete(*, product: Product) -> None:
    """Delete a product that holds no reserved stock (an order is waiting on it otherwise)."""
    product = _locked_product(product.pk)
    if product.reserved:
        raise Conflict(
            "The product has stock reserved for orders; deactivate it instead, or wait for them.",
            code=ProductErrorCode.HAS_RESERVATIONS,
            details={"reserved": product.reserved},
        )
    files = [image.file.name for image in product.images.exclude(file="")]
    data = events.product_deleted(product)
    product.delete()
    publish("catalog.product.deleted", subject=data["product_id"], data=data)
    invalidate_catalog_reads()
    transaction.on_commit(lambda: _delete_files(files))


@transaction.atomic
def category_delete(*, category: Category, reassign_to_id: uuid.UUID | None = None) -> None:
    """Delete an empty category; one with products or subcategories needs ``reassign_to_id``.

    With a target, the category's own products and its direct subcategories (with their
    subtrees) move to the target first, and each moved product publishes
    ``catalog.product.updated`` (its ``category_id`` changed). A products use case: products
    build on categories, whose services hold the tree lock from the first step to the commit.
    """
    category, target = category_lock_for_delete(category=category, reassign_to_id=reassign_to_id)
    products = Product.objects.filter(category=category)
    if target is None:
        product_count = products.count()
    else:
        moved = list(products.select_for_update().order_by("id"))
        product_count = len(moved)
        Product.objects.filter(pk__in=[product.pk for product in moved]).update(category=target)
        for product in moved:
            product.category_id = target.pk
            product_publish_updated(product=product, changed_fields=["category"])
    category_delete_locked(category=category, target=target, product_count=product_count)


@transaction.atomic
def product_image_add(
    *,
    product: Product,
    file: UploadedFile | None = None,
    url: str = "",
    alt_text: str = "",
    position: int | None = None,
) -> ProductImage:
    """Attach an uploaded image (type sniffed from its bytes, size capped) or an image URL."""
    if bool(file) == bool(url):
        raise ValidationError({"non_field_errors": ["Send either an image file or an image URL."]})
    _validate_position(position)
    product = _locked_product(product.pk)  # serialises the count check
    count = product.images.count()
    limit = settings.CATALOG["MAX_IMAGES_PER_PRODUCT"]
    if count >= limit:
        raise ValidationError({"non_field_errors": [f"A product has at most {limit} images."]})
    image = ProductImage(
        product=product, url=url, alt_text=alt_text, position=count if position is None else position
    )
    if file:
        image.content_type = validate_image_upload(file)
        image.size = file.size
        file.name = f"{uuid.uuid4().hex}.{EXTENSIONS[image.content_type]}"  # never the client's name
        image.file = file
    # The file is written here, before the row commits; a rollback after this point (rare:
    # nothing but the commit follows) leaves an unreferenced file behind, never a broken row.
    image.save()
    invalidate_catalog_reads()
    return image


@transaction.atomic
def product_image_delete(*, image: ProductImage) -> None:
    image = ProductImage.objects.select_for_update().filter(pk=image.pk).first()
    if image is None:  # deleted meanwhile (with its product, or by a concurrent request)
        raise NotFound("Image not found.")
    name = image.file.name if image.file else ""
    image.delete()
    invalidate_catalog_reads()
    if name:
        transaction.on_commit(lambda: _delete_files([name]))


def _delete_files(names: list[str]) -> None:
    from django.core.files.storage import default_storage

    for name in names:
        try:
            default_storage.delete(name)
        except OSError:
            logger.warning("could not delete image file %s", name)
