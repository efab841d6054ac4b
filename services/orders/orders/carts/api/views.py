"""Cart APIs: one class per operation; every operation answers with the whole cart."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from orders.api import CALLER_ERROR_CODES
from orders.carts.errors import CartErrorCode
from orders.carts.selectors import cart_get
from orders.carts.services import (
    cart_add_item,
    cart_clear,
    cart_remove_item,
    cart_update_item_quantity,
)
from servicekit.auth import user_id_of
from servicekit.idempotency import IDEMPOTENCY_HEADER, body_fingerprint, idempotency_key
from servicekit.money import MoneyField
from servicekit.openapi import error_codes


@extend_schema_serializer(component_name="Cart")
class CartOutputSerializer(serializers.Serializer):
    @extend_schema_serializer(component_name="CartLine")
    class LineSerializer(serializers.Serializer):
        product_id = serializers.UUIDField()
        sku = serializers.CharField()
        name = serializers.CharField()
        unit_price = MoneyField(help_text="The product's current price.")
        currency = serializers.CharField()
        quantity = serializers.IntegerField()
        line_total = MoneyField()
        is_available = serializers.BooleanField(
            help_text="False when the product was deactivated or deleted; it blocks checkout."
        )
        added_at = serializers.DateTimeField()

    @extend_schema_serializer(component_name="CartTotal")
    class TotalSerializer(serializers.Serializer):
        currency = serializers.CharField()
        amount = MoneyField()

    lines = LineSerializer(many=True)
    totals = TotalSerializer(many=True, help_text="Per currency, over the available lines.")
    item_count = serializers.IntegerField()
    updated_at = serializers.DateTimeField(allow_null=True)


def _cart_response(request, status_code: int = status.HTTP_200_OK, headers=None) -> Response:
    cart = cart_get(user_id=user_id_of(request))
    return Response(CartOutputSerializer(cart).data, status=status_code, headers=headers)


class CartDetailApi(APIView):
    """The caller's cart."""

    api_key_scope = "orders:read"

    @extend_schema(operation_id="cart_retrieve", responses=CartOutputSerializer)
    @error_codes(CALLER_ERROR_CODES)
    def get(self, request):
        return _cart_response(request)


class CartClearApi(APIView):
    """Empty the cart."""

    api_key_scope = "orders:write"

    @extend_schema(operation_id="cart_clear", responses={200: CartOutputSerializer})
    @error_codes(CALLER_ERROR_CODES)
    def delete(self, request):
        cart_clear(user_id=user_id_of(request))
        return _cart_response(request)


class CartItemAddApi(APIView):
    api_key_scope = "orders:write"

    @extend_schema_serializer(component_name="CartItemAddInput")
    class InputSerializer(serializers.Serializer):
        product_id = serializers.UUIDField()
        quantity = serializers.IntegerField(
            default=1,
            help_text="How many to add, at least 1; the line's new quantity may be at most "
            "CART_MAX_LINE_QUANTITY (99), else 400 quantity_out_of_range naming quantity.",
        )

    @extend_schema(
        operation_id="cart_item_add",
        request=InputSerializer,
        responses={201: CartOutputSerializer, 200: CartOutputSerializer},
        parameters=[
            OpenApiParameter(
                IDEMPOTENCY_HEADER,
                location=OpenApiParameter.HEADER,
                required=False,
                description=(
                    "Optional, 1-255 printable characters, unique per add: a retry adds nothing "
                    "twice while the key is remembered (48 hours by default)."
                ),
            )
        ],
        description=(
            "Add a product; if it is already in the cart its quantity grows (200 instead of 201).\n\n"
            "With an Idempotency-Key header the add happens once per key: the same key with the "
            "same body adds nothing again and answers the first add's status (201 or 200) with "
            "the cart as it is now (header `Idempotent-Replayed: true`); with another body, 409 "
            "`idempotency_key_reused`. An add that fails leaves its key unused. Keys are "
            "remembered as long as checkout's (48 hours by default, a deployment setting); a key "
            "sent again after that adds again. Without the header every request adds."
        ),
    )
    @error_codes(
        CALLER_ERROR_CODES,
        {
            400: [
                CartErrorCode.UNKNOWN_PRODUCT,
                CartErrorCode.INACTIVE_PRODUCT,
                CartErrorCode.CURRENCY_MISMATCH,
                CartErrorCode.QUANTITY_OUT_OF_RANGE,
                CartErrorCode.CART_FULL,
            ],
            409: [CartErrorCode.IDEMPOTENCY_KEY_REUSED],
        },
    )
    def post(self, request):
        key = idempotency_key(request)  # optional; a malformed one is 400 validation_error
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        added = cart_add_item(
            user_id=user_id_of(request),
            idempotency_key=key,
            fingerprint=body_fingerprint(request.data) if key else "",
            **serializer.validated_data,
        )
        headers = {"Idempotent-Replayed": "true"} if added.is_replay else None
        return _cart_response(
            request, status.HTTP_201_CREATED if added.is_new_line else status.HTTP_200_OK, headers=headers
        )


class CartItemUpdateApi(APIView):
    """Change a line's quantity."""

    api_key_scope = "orders:write"

    @extend_schema_serializer(component_name="CartItemUpdateInput")
    class InputSerializer(serializers.Serializer):
        quantity = serializers.IntegerField()

    @extend_schema(operation_id="cart_item_update", request=InputSerializer, responses=CartOutputSerializer)
    @error_codes(CALLER_ERROR_CODES, {400: [CartErrorCode.QUANTITY_OUT_OF_RANGE]})
    def patch(self, request, product_id):
        serializer = CartItemUpdateApi.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        cart_update_item_quantity(
            user_id=user_id_of(request), product_id=product_id, quantity=serializer.validated_data["quantity"]
        )
        return _cart_response(request)


class CartItemRemoveApi(APIView):
    """Remove a line from the cart."""

    api_key_scope = "orders:write"

    @extend_schema(operation_id="cart_item_remove", responses={200: CartOutputSerializer})
    @error_codes(CALLER_ERROR_CODES)
    def delete(self, request, product_id):
        cart_remove_item(user_id=user_id_of(request), product_id=product_id)
        return _cart_response(request)
