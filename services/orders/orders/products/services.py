"""Writes to the product read model. Only catalog's events and the rebuild command call these."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from orders.products.models import Product
from servicekit.money import parse_amount

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ProductData:
    """The fields orders keeps, parsed from a catalog product event or export row."""

    product_id: uuid.UUID
    sku: str
    name: str
    price: Decimal
    currency: str
    is_active: bool

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> ProductData:
        currency = str(payload["currency"]).upper()
        try:
            price = parse_amount(payload["price"], currency, field="price")
        except ValidationError as exc:  # catalog never sends it: a bug there, not a price here
            raise ValueError(f"product price {payload['price']!r} {currency}: {exc.messages}") from exc
        return cls(
            product_id=uuid.UUID(str(payload["product_id"])),
            sku=str(payload.get("sku") or ""),
            name=str(payload["name"]),
            price=price,
            currency=currency,
            is_active=bool(payload["is_active"]),
        )


@transaction.atomic
def product_upsert(*, data: ProductData, changed_at: datetime) -> Product:
    """Create or update the copy of a product, unless we already hold a newer state.

    A product catalog re-creates (or re-exports) after deleting it comes back to life: the
    tombstone is cleared, but only by a change strictly newer than the deletion, so a stale
    create/update arriving after the delete never resurrects it.
    """
    product = _locked_or_new(data.product_id, changed_at)
    if product.source_changed_at > changed_at:
        logger.info("ignoring stale change of product %s from %s", data.product_id, changed_at)
        return product
    if product.deleted_at is not None and changed_at <= product.deleted_at:
        logger.info("ignoring change of product %s not newer than its deletion", data.product_id)
        return product
    if product.deleted_at is not None:
        logger.info(
            "product %s deleted at %s is back (change of %s)", product.id, product.deleted_at, changed_at
        )
    product.deleted_at = None
    product.sku = data.sku
    product.name = data.name
    product.price = data.price
    product.currency = data.currency
    product.is_active = data.is_active
    product.source_changed_at = changed_at
    product.full_clean(exclude=["id"])
    product.save()
    return product


@transaction.atomic
def product_mark_deleted(*, product_id: uuid.UUID, changed_at: datetime) -> Product | None:
    """A product deleted in catalog stays here as a tombstone: carts and history point at it."""
    product = Product.objects.select_for_update().filter(id=product_id).first()
    if product is None:
        logger.info("deleted product %s was never known here", product_id)
        return None
    if product.source_changed_at > changed_at:
        logger.info("ignoring stale deletion of product %s", product_id)
        return product
    product.deleted_at = changed_at
    product.is_active = False
    product.source_changed_at = changed_at
    product.save(update_fields=["deleted_at", "is_active", "source_changed_at", "synced_at"])
    return product


@dataclass(frozen=True)
class RebuildResult:
    upserted: int
    deleted: int


@transaction.atomic
def products_rebuild(
    *, rows: Iterable[Mapping[str, Any]], exported_at: datetime | None = None
) -> RebuildResult:
    """Replace the read model's content by a complete export of catalog's products.

    Products missing from the export are marked deleted. Events newer than the export
    still win afterwards (their ``occurred_at`` is later than ``exported_at``).
    """
    exported_at = exported_at or timezone.now()
    seen: set[uuid.UUID] = set()
    for row in rows:
        data = ProductData.from_payload(row)
        if row.get("is_deleted"):
            continue
        product_upsert(data=data, changed_at=exported_at)
        seen.add(data.product_id)
    # Only what we last heard of before the export started: a product created by an event
    # after that is newer than the export, not missing from it.
    missing = Product.objects.filter(deleted_at__isnull=True, source_changed_at__lte=exported_at).exclude(
        id__in=seen
    )
    deleted = missing.update(deleted_at=exported_at, is_active=False, source_changed_at=exported_at)
    return RebuildResult(upserted=len(seen), deleted=deleted)


def _locked_or_new(product_id: uuid.UUID, changed_at: datetime) -> Product:
    product = Product.objects.select_for_update().filter(id=product_id).first()
    if product is not None:
        return product
    try:
        with transaction.atomic():
            Product.objects.create(
                id=product_id, name="", price=Decimal("0"), currency="XXX", source_changed_at=changed_at
            )
    except IntegrityError:  # created concurrently by another consumer: lock theirs
        pass
    return Product.objects.select_for_update().get(id=product_id)
