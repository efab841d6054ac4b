"""A product's reviews: anyone reads them, buyers write one each."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.products.selectors import product_get_visible
from catalog.reviews.api.serializers import ReviewOutputSerializer
from catalog.reviews.errors import ReviewErrorCode
from catalog.reviews.selectors import review_list_for_product
from catalog.reviews.services import review_create
from servicekit.api import enveloped, paginated_payload
from servicekit.auth.permissions import principal_of
from servicekit.openapi import error_codes


class ProductReviewListApi(APIView):
    api_key_scope = "catalog:read"
    permission_classes = [AllowAny]

    OutputSerializer = ReviewOutputSerializer

    @extend_schema(
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

    api_key_scope = "catalog:write"
    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "ReviewCreateInput"

        rating = serializers.IntegerField(min_value=1, max_value=5)
        title = serializers.CharField(max_length=200)
        body = serializers.CharField(required=False, allow_blank=True, default="", max_length=10_000)

    OutputSerializer = ReviewOutputSerializer

    @extend_schema(request=InputSerializer, responses={201: OutputSerializer})
    @error_codes({403: [ReviewErrorCode.NOT_A_BUYER], 409: [ReviewErrorCode.ALREADY_REVIEWED]})
    def post(self, request: Request, product_id: str) -> Response:
        product = product_get_visible(product_id=product_id, principal=request.user)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        review = review_create(product=product, user_id=request.user.id, **serializer.validated_data)
        return Response(self.OutputSerializer(review).data, status=status.HTTP_201_CREATED)
