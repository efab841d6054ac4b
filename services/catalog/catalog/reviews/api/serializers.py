"""A review as every API returns it (a product's reviews, and one review)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from catalog.products.api.serializers import iso
from catalog.reviews.models import Review


class ReviewOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    product_id = serializers.UUIDField()
    user_id = serializers.CharField()
    rating = serializers.IntegerField()
    title = serializers.CharField()
    body = serializers.CharField()
    is_visible = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def to_representation(self, review: Review) -> dict[str, Any]:
        return {
            "id": str(review.id),
            "product_id": str(review.product_id),
            "user_id": review.user_id,
            "rating": review.rating,
            "title": review.title,
            "body": review.body,
            "is_visible": review.is_visible,
            "created_at": iso(review.created_at),
            "updated_at": iso(review.updated_at),
        }
