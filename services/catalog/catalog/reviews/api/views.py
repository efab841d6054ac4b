"""Review APIs: buyers write one review per product, staff moderate."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.api import enveloped, paginated_payload
from catalog.products.api.serializers import iso
from catalog.products.selectors import product_get_visible
from catalog.reviews.models import Review
from catalog.reviews.selectors import review_get, review_get_own, review_list_for_product
from catalog.reviews.services import review_create, review_delete, review_set_visibility, review_update
from servicekit.auth.permissions import IsStaff, principal_of
from servicekit.openapi import error_codes


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


class ProductReviewListApi(APIView):
    permission_classes = [AllowAny]

    OutputSerializer = ReviewOutputSerializer

    @extend_schema(
        parameters=[OpenApiParameter("page", int), OpenApiParameter("page_size", int)],
        responses=OutputSerializer(many=True),
    )
    def get(self, request: Request, product_id: str) -> Response:
        principal = principal_of(request)
        product = product_get_visible(product_id=product_id, principal=principal)
        return enveloped(
            paginated_payload(
                queryset=review_list_for_product(product=product, principal=principal),
                request=request,
                view=self,
                serialize=lambda rows: self.OutputSerializer(rows, many=True).data,
            )
        )


class ReviewCreateApi(APIView):
    """Review a product you bought (orders told us: paid or completed)."""

    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "ReviewCreateInput"

        rating = serializers.IntegerField(min_value=1, max_value=5)
        title = serializers.CharField(max_length=200)
        body = serializers.CharField(required=False, allow_blank=True, default="", max_length=10_000)

    OutputSerializer = ReviewOutputSerializer

    @extend_schema(request=InputSerializer, responses={201: OutputSerializer})
    @error_codes({403: ["review_not_allowed"], 409: ["review_exists"]})
    def post(self, request: Request, product_id: str) -> Response:
        product = product_get_visible(product_id=product_id, principal=request.user)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        review = review_create(product=product, user_id=request.user.id, **serializer.validated_data)
        return Response(self.OutputSerializer(review).data, status=status.HTTP_201_CREATED)


class ReviewUpdateApi(APIView):
    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "ReviewUpdateInput"

        rating = serializers.IntegerField(min_value=1, max_value=5, required=False)
        title = serializers.CharField(max_length=200, required=False)
        body = serializers.CharField(required=False, allow_blank=True, max_length=10_000)

    OutputSerializer = ReviewOutputSerializer

    @extend_schema(request=InputSerializer, responses=OutputSerializer)
    def patch(self, request: Request, review_id: str) -> Response:
        review = review_get_own(review_id=review_id, principal=request.user)
        serializer = self.InputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        review = review_update(review=review, data=serializer.validated_data)
        return Response(self.OutputSerializer(review).data)


class ReviewDeleteApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={204: None})
    def delete(self, request: Request, review_id: str) -> Response:
        review_delete(review=review_get_own(review_id=review_id, principal=request.user))
        return Response(status=status.HTTP_204_NO_CONTENT)


class ReviewHideApi(APIView):
    """Staff moderation: hide a review (it stops counting towards the rating)."""

    permission_classes = [IsStaff]

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "ReviewHideInput"

        reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)

    OutputSerializer = ReviewOutputSerializer

    @extend_schema(request=InputSerializer, responses=OutputSerializer)
    def post(self, request: Request, review_id: str) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        review = review_set_visibility(
            review=review_get(review_id=review_id),
            is_visible=False,
            moderator_id=request.user.id,
            reason=serializer.validated_data["reason"],
        )
        return Response(self.OutputSerializer(review).data)


class ReviewUnhideApi(APIView):
    permission_classes = [IsStaff]

    OutputSerializer = ReviewOutputSerializer

    @extend_schema(request=None, responses=OutputSerializer)
    def post(self, request: Request, review_id: str) -> Response:
        review = review_set_visibility(
            review=review_get(review_id=review_id), is_visible=True, moderator_id=request.user.id
        )
        return Response(self.OutputSerializer(review).data)
