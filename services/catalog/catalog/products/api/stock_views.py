"""A product's stock adjustments: the audit trail and new adjustments (staff, or the vendor
who owns the product)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.inventory.errors import StockErrorCode
from catalog.inventory.selectors import stock_adjustment_list
from catalog.inventory.services import stock_adjust
from catalog.limits import MAX_INT
from catalog.products.api.views import CanManageProducts
from catalog.products.selectors import product_get_manageable
from servicekit.api import enveloped, paginated_payload
from servicekit.openapi import error_codes


class StockAdjustmentOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    product_id = serializers.UUIDField()
    delta = serializers.IntegerField()
    stock_before = serializers.IntegerField()
    stock_after = serializers.IntegerField()
    reason = serializers.CharField()
    actor_id = serializers.CharField()
    created_at = serializers.DateTimeField()


class StockAdjustmentListApi(APIView):
    """The product's stock audit trail (staff, or the vendor who owns it)."""

    api_key_scope = "catalog:read"
    permission_classes = [CanManageProducts]

    OutputSerializer = StockAdjustmentOutputSerializer

    @extend_schema(
        responses=OutputSerializer(many=True),
    )
    def get(self, request: Request, product_id: str) -> Response:
        product = product_get_manageable(product_id=product_id, principal=request.user)
        return enveloped(
            paginated_payload(
                queryset=stock_adjustment_list(product=product),
                request=request,
                view=self,
                serialize=lambda rows: self.OutputSerializer(rows, many=True).data,
            )
        )


class StockAdjustmentCreateApi(APIView):
    """Add or remove units on hand with a reason: ``{"delta": -2, "reason": "damaged"}``."""

    api_key_scope = "catalog:write"
    permission_classes = [CanManageProducts]

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "StockAdjustmentCreateInput"

        delta = serializers.IntegerField(
            min_value=-MAX_INT, max_value=MAX_INT, help_text="Units to add (positive) or remove (negative)."
        )
        reason = serializers.CharField(max_length=200)

    OutputSerializer = StockAdjustmentOutputSerializer

    @extend_schema(request=InputSerializer, responses={201: OutputSerializer})
    @error_codes({409: [StockErrorCode.BELOW_RESERVED]})
    def post(self, request: Request, product_id: str) -> Response:
        product = product_get_manageable(product_id=product_id, principal=request.user)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        adjustment = stock_adjust(
            product=product,
            delta=serializer.validated_data["delta"],
            reason=serializer.validated_data["reason"],
            actor_id=request.user.id,
        )
        return Response(self.OutputSerializer(adjustment).data, status=status.HTTP_201_CREATED)
