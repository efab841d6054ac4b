"""Serializer pieces shared by the product API classes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rest_framework import serializers

from catalog.products.events import product_core_data
from catalog.products.models import Product, ProductImage
from servicekit.money import AMOUNT_DECIMAL_PLACES, AMOUNT_MAX_DIGITS, MoneyField, format_amount


class AmountField(serializers.DecimalField):
    """A money amount sent as a string ("12.50"); JSON floats are refused, never rounded."""

    default_error_messages = {"float": 'Send amounts as strings, e.g. "12.50", never as floats.'}

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", AMOUNT_MAX_DIGITS)
        kwargs.setdefault("decimal_places", AMOUNT_DECIMAL_PLACES)
        super().__init__(coerce_to_string=True, **kwargs)

    def to_internal_value(self, data: Any):
        if isinstance(data, float):
            self.fail("float")
        return super().to_internal_value(data)


def iso(moment: datetime | None) -> str | None:
    """As DRF renders datetimes: ISO 8601, UTC as ``Z``."""
    if moment is None:
        return None
    value = moment.isoformat()
    return value[:-6] + "Z" if value.endswith("+00:00") else value


def image_representation(image: ProductImage) -> dict[str, Any]:
    return {
        "id": str(image.id),
        "url": image.file.url if image.file else image.url,
        "content_type": image.content_type or None,
        "alt_text": image.alt_text,
        "position": image.position,
    }


def product_export_row(product: Product) -> dict[str, Any]:
    """A row of the internal export: the fields of the ``catalog.product.*`` events' core, nothing else."""
    return product_core_data(product)


def product_representation(product: Product) -> dict[str, Any]:
    """The product as the API shows it (images must be prefetched for listings)."""
    return {
        "id": str(product.id),
        "sku": product.sku,
        "name": product.name,
        "slug": product.slug,
        "description": product.description,
        "price": format_amount(product.price, product.currency),
        "currency": product.currency,
        "stock": product.stock_on_hand,
        "reserved": product.reserved,
        "available": product.stock_on_hand - product.reserved,
        "is_active": product.is_active,
        "vendor_id": product.vendor_id,
        "category": str(product.category_id) if product.category_id else None,
        "attributes": product.attributes,
        "images": [image_representation(image) for image in product.images.all()],
        "rating_average": None if product.rating_average is None else str(product.rating_average),
        "rating_count": product.rating_count,
        "created_at": iso(product.created_at),
        "updated_at": iso(product.updated_at),
    }


class ProductImageOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    url = serializers.CharField(help_text="The uploaded file's URL, or the external image URL.")
    content_type = serializers.CharField(allow_null=True)
    alt_text = serializers.CharField()
    position = serializers.IntegerField()

    def to_representation(self, instance: ProductImage) -> dict[str, Any]:
        return image_representation(instance)


class ProductOutputSerializer(serializers.Serializer):
    """The product as every API returns it.

    The fields document the shape (OpenAPI); ``to_representation`` builds the same dict
    directly, because the listing is the catalog's hot path (tests keep the two in step).
    """

    id = serializers.UUIDField()
    sku = serializers.CharField()
    name = serializers.CharField()
    slug = serializers.SlugField()
    description = serializers.CharField()
    price = MoneyField(
        help_text='Decimal string with exactly the currency\'s minor units: "12.50", "1200" (JPY).'
    )
    currency = serializers.CharField(help_text="ISO 4217 code.")
    stock = serializers.IntegerField(help_text="Units on hand.")
    reserved = serializers.IntegerField(help_text="Units held for pending orders.")
    available = serializers.IntegerField(help_text="stock - reserved")
    is_active = serializers.BooleanField()
    vendor_id = serializers.CharField()
    category = serializers.UUIDField(allow_null=True)
    attributes = serializers.JSONField()
    images = ProductImageOutputSerializer(many=True)
    rating_average = serializers.CharField(allow_null=True)
    rating_count = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def to_representation(self, product: Product) -> dict[str, Any]:
        return product_representation(product)
