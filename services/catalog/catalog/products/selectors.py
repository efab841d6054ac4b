"""Reads of products: who sees what, the filtered/searched/ordered listing."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from django.contrib.postgres.search import SearchQuery, SearchRank, TrigramWordSimilarity
from django.db.models import F, Prefetch, Q, QuerySet

from catalog.categories.selectors import category_subtree_ids
from catalog.products.models import Product, ProductImage
from servicekit.auth.principal import Principal
from servicekit.envelope.errors import NotFound

# ordering parameter → ORDER BY; the id keeps pages stable when values tie.
ORDERINGS: dict[str, list[Any]] = {
    "price": ["price", "id"],
    "-price": ["-price", "id"],
    "name": ["name", "id"],
    "-name": ["-name", "id"],
    "newest": ["-created_at", "id"],
    "oldest": ["created_at", "id"],
    "rating": [F("rating_average").desc(nulls_last=True), "-rating_count", "id"],
}
DEFAULT_ORDERING = "newest"


def product_visible_to(*, principal: Principal | None) -> QuerySet[Product]:
    """Staff see everything; a vendor sees active products and all of their own; others, active."""
    products = Product.objects.all()
    if principal is not None and principal.is_staff:
        return products
    if principal is not None and principal.has_role("vendor"):
        return products.filter(Q(is_active=True) | Q(vendor_id=principal.id))
    return products.filter(is_active=True)


def product_manageable_by(*, principal: Principal) -> QuerySet[Product]:
    """Staff manage every product; vendors only their own; nobody else any."""
    if principal.is_staff:
        return Product.objects.all()
    if principal.has_role("vendor"):
        return Product.objects.filter(vendor_id=principal.id)
    return Product.objects.none()


def _get(queryset: QuerySet[Product], product_id: uuid.UUID | str) -> Product:
    try:
        return queryset.get(pk=product_id)
    except (Product.DoesNotExist, ValueError):
        raise NotFound("Product not found.") from None


def product_get_visible(*, product_id: uuid.UUID | str, principal: Principal | None) -> Product:
    queryset = product_visible_to(principal=principal).defer("search_vector").prefetch_related(_images())
    return _get(queryset, product_id)


def product_get_manageable(*, product_id: uuid.UUID | str, principal: Principal) -> Product:
    """The product if ``principal`` may change it; 404 (not 403) otherwise."""
    return _get(product_manageable_by(principal=principal).defer("search_vector"), product_id)


def _images() -> Prefetch:
    return Prefetch("images", queryset=ProductImage.objects.order_by("position", "created_at", "id"))


def product_list(*, filters: dict[str, Any], principal: Principal | None) -> QuerySet[Product]:
    """Visible products, filtered, searched and ordered; a constant number of queries per page.

    ``filters``: search, category (a Category), min_price, max_price, in_stock, vendor,
    is_active, currency, ordering (a key of ``ORDERINGS``).
    """
    products = product_visible_to(principal=principal).defer("search_vector")

    category = filters.get("category")
    if category is not None:
        products = products.filter(category_id__in=category_subtree_ids(category_id=category.pk))
    min_price: Decimal | None = filters.get("min_price")
    if min_price is not None:
        products = products.filter(price__gte=min_price)
    max_price: Decimal | None = filters.get("max_price")
    if max_price is not None:
        products = products.filter(price__lte=max_price)
    in_stock = filters.get("in_stock")
    if in_stock is True:
        products = products.filter(stock_on_hand__gt=F("reserved"))
    elif in_stock is False:
        products = products.filter(stock_on_hand__lte=F("reserved"))
    if filters.get("vendor"):
        products = products.filter(vendor_id=filters["vendor"])
    if filters.get("is_active") is not None:
        products = products.filter(is_active=filters["is_active"])
    if filters.get("currency"):
        products = products.filter(currency=filters["currency"])

    ordering = filters.get("ordering")
    search = (filters.get("search") or "").strip()
    if search:
        query = SearchQuery(search, search_type="websearch", config="english")
        # Full text on name/SKU/description, or a typo-tolerant trigram match on the name
        # (pg_trgm's word similarity: "hedphones" finds "Headphones"; the operator's threshold
        # is CATALOG_SEARCH_TRIGRAM_THRESHOLD, set on every connection in settings.py so the
        # name's trigram index still serves it), or the exact SKU.
        products = products.filter(
            Q(search_vector=query) | Q(name__trigram_word_similar=search) | Q(sku__iexact=search)
        ).annotate(relevance=SearchRank(F("search_vector"), query) + TrigramWordSimilarity(search, "name"))
        if not ordering:
            return products.order_by("-relevance", "id").prefetch_related(_images())
    return products.order_by(*ORDERINGS[ordering or DEFAULT_ORDERING]).prefetch_related(_images())


def product_export(*, after: uuid.UUID | None = None) -> QuerySet[Product]:
    """Every product after ``after`` (inactive ones included), ordered by id: catalog's internal
    export, from which other services rebuild their read models. Keyset pages stay correct
    while products are created or deleted during a read. Only the exported columns are read."""
    products = Product.objects.only("id", "sku", "name", "price", "currency", "is_active")
    if after is not None:
        products = products.filter(id__gt=after)
    return products.order_by("id")


def product_image_get(*, product: Product, image_id: uuid.UUID | str) -> ProductImage:
    try:
        return ProductImage.objects.get(product=product, pk=image_id)
    except (ProductImage.DoesNotExist, ValueError):
        raise NotFound("Image not found.") from None
