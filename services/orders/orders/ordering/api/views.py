"""Order APIs: checkout, history, one order, cancel (owner or staff), ship and complete (staff)."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from orders.api import CALLER_ERROR_CODES, lister_of, principal_of
from orders.ordering.errors import OrderErrorCode
from orders.ordering.models import CancellationReason, Order, OrderStatus, OrderStatusChange
from orders.ordering.selectors import order_get, order_list
from orders.ordering.services import (
    order_cancel,
    order_checkout,
    order_complete,
    order_ship,
)
from servicekit.auth import IsOwnerOrStaff, IsStaff, user_id_of
from servicekit.envelope.errors import ApplicationError, NotFound
from servicekit.envelope.pagination import paginated_response
from servicekit.idempotency import IDEMPOTENCY_HEADER, body_fingerprint, idempotency_key
from servicekit.money import MoneyField
from servicekit.openapi import error_codes
from servicekit.params import query_filters


@extend_schema_serializer(component_name="ShippingAddress")
class AddressSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    line1 = serializers.CharField(max_length=200)
    line2 = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    city = serializers.CharField(max_length=100)
    region = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    postal_code = serializers.CharField(max_length=20)
    country = serializers.RegexField(
        r"^[A-Z]{2}$",
        help_text="ISO 3166-1 alpha-2 code",
        error_messages={"invalid": "Use a 2-letter country code."},
    )
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")


@extend_schema_serializer(component_name="Order")
class OrderOutputSerializer(serializers.ModelSerializer):
    @extend_schema_serializer(component_name="OrderLine")
    class LineSerializer(serializers.Serializer):
        product_id = serializers.UUIDField()
        sku = serializers.CharField()
        name = serializers.CharField()
        unit_price = MoneyField(currency="order.currency")
        quantity = serializers.IntegerField()
        line_total = MoneyField(currency="order.currency")

    total = MoneyField()
    lines = LineSerializer(many=True)
    shipping_address = AddressSerializer()
    # Declared for the schema: a generated read-only field would not admit the blank it holds.
    cancellation_reason = serializers.ChoiceField(
        choices=CancellationReason.choices,
        allow_blank=True,
        read_only=True,
        help_text="Blank unless cancelled.",
    )

    class Meta:
        model = Order
        fields = [
            "id",
            "user_id",
            "status",
            "status_reason",
            "rejection_details",
            "cancellation_reason",
            "currency",
            "total",
            "lines",
            "shipping_address",
            "payment_due_at",
            "carrier",
            "tracking_number",
            "placed_at",
            "confirmed_at",
            "rejected_at",
            "paid_at",
            "shipped_at",
            "completed_at",
            "cancelled_at",
            "updated_at",
        ]
        read_only_fields = fields


@extend_schema_serializer(component_name="OrderDetail")
class OrderDetailOutputSerializer(OrderOutputSerializer):
    @extend_schema_serializer(component_name="OrderStatusChange")
    class StatusChangeSerializer(serializers.ModelSerializer):
        class Meta:
            model = OrderStatusChange
            fields = ["from_status", "to_status", "actor", "reason", "created_at"]

    history = StatusChangeSerializer(source="status_changes", many=True, read_only=True)

    class Meta(OrderOutputSerializer.Meta):
        fields = [*OrderOutputSerializer.Meta.fields, "history"]
        read_only_fields = fields


def _checkout_key_required() -> ApplicationError:
    return ApplicationError(
        f"Send an {IDEMPOTENCY_HEADER} header (1-255 printable characters) with each checkout.",
        code=OrderErrorCode.IDEMPOTENCY_KEY_REQUIRED,
        details={IDEMPOTENCY_HEADER: ["This header is required."]},
    )


def _order_for(request, view: APIView, order_id) -> Order:
    """The order if the caller owns it or is staff; 404 otherwise (never 403)."""
    order = order_get(order_id=order_id)
    if order is None:
        raise NotFound("No such order.", code=OrderErrorCode.NOT_FOUND)
    view.check_object_permissions(request, order)
    return order


def _detail(order_id) -> dict:
    return OrderDetailOutputSerializer(order_get(order_id=order_id)).data


class OrderListApi(APIView):
    api_key_scope = "orders:read"

    class FilterSerializer(serializers.Serializer):
        status = serializers.CharField(required=False, help_text="One status or several, comma-separated.")
        placed_from = serializers.DateField(required=False, help_text="Inclusive, UTC.")
        placed_to = serializers.DateField(required=False, help_text="Inclusive, UTC.")
        user_id = serializers.UUIDField(required=False, help_text="Staff only: one customer's orders.")

        def validate_status(self, value: str) -> list[str]:
            statuses = [part.strip() for part in value.split(",") if part.strip()]
            unknown = sorted(set(statuses) - set(OrderStatus.values))
            if unknown:
                raise serializers.ValidationError(
                    f"Unknown status {', '.join(unknown)}; use {', '.join(OrderStatus.values)}."
                )
            return statuses

        def validate(self, attrs):
            if (
                attrs.get("placed_from")
                and attrs.get("placed_to")
                and attrs["placed_from"] > attrs["placed_to"]
            ):
                raise serializers.ValidationError({"placed_to": ["Must not be before placed_from."]})
            return attrs

    OutputSerializer = OrderOutputSerializer

    @extend_schema(
        operation_id="orders_list",
        parameters=[FilterSerializer],
        responses=OrderOutputSerializer(many=True),
        description="Your orders, newest first; staff see every customer's.",
    )
    @error_codes(CALLER_ERROR_CODES)
    def get(self, request):
        filters = query_filters(OrderListApi.FilterSerializer, request)
        orders = order_list(
            principal=lister_of(request),
            statuses=filters.get("status", []),
            placed_from=filters.get("placed_from"),
            placed_to=filters.get("placed_to"),
            user_id=filters.get("user_id"),
        )
        return paginated_response(
            request=request, view=self, queryset=orders, serializer_class=OrderListApi.OutputSerializer
        )


class OrderCheckoutApi(APIView):
    api_key_scope = "orders:write"

    @extend_schema_serializer(component_name="OrderCheckoutInput")
    class InputSerializer(serializers.Serializer):
        shipping_address = AddressSerializer()

    @extend_schema(
        operation_id="orders_checkout",
        request=InputSerializer,
        responses={201: OrderDetailOutputSerializer},
        parameters=[
            OpenApiParameter(
                IDEMPOTENCY_HEADER,
                location=OpenApiParameter.HEADER,
                required=True,
                description=(
                    "Unique per checkout attempt; resending it replays the same order while the "
                    "key is remembered (48 hours by default)."
                ),
            )
        ],
        description=(
            "Turn the cart into a pending order. The same Idempotency-Key with the same body "
            "returns the same order (header `Idempotent-Replayed: true`); with another body, 409. "
            "Keys are remembered for a limited time (48 hours by default, a deployment setting) "
            "and then forgotten: a key sent again after that is treated as new and checks out "
            "the cart again, creating a new order if the cart has items. Retry within that "
            "window, and use a fresh key for every new checkout.\n\n"
            "The order stays `pending` until the stock is confirmed. If that takes too long "
            "(15 minutes by default) the order is cancelled with `cancellation_reason: "
            "stock_timeout`, explained in `status_reason`; nothing is charged."
        ),
    )
    @error_codes(
        CALLER_ERROR_CODES,
        {
            400: [
                OrderErrorCode.IDEMPOTENCY_KEY_REQUIRED,
                OrderErrorCode.CART_EMPTY,
                OrderErrorCode.PRODUCT_UNAVAILABLE,
                OrderErrorCode.CURRENCY_MISMATCH,
                OrderErrorCode.QUANTITY_OUT_OF_RANGE,
                OrderErrorCode.AMOUNT_TOO_LARGE,
            ],
            409: [OrderErrorCode.IDEMPOTENCY_KEY_REUSED],
        },
    )
    def post(self, request):
        key = idempotency_key(request, required=True, error=_checkout_key_required)
        serializer = OrderCheckoutApi.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = order_checkout(
            user_id=user_id_of(request),
            idempotency_key=key,
            fingerprint=body_fingerprint(request.data),
            shipping_address=serializer.validated_data["shipping_address"],
        )
        headers = {"Location": reverse("ordering-order-detail", args=[result.order.id])}
        if result.is_replay:
            headers["Idempotent-Replayed"] = "true"
        return Response(_detail(result.order.id), status=status.HTTP_201_CREATED, headers=headers)


class OrderDetailApi(APIView):
    api_key_scope = "orders:read"
    permission_classes = [IsOwnerOrStaff]
    owner_field = "user_id"
    OutputSerializer = OrderDetailOutputSerializer

    @extend_schema(operation_id="orders_retrieve", responses=OrderDetailOutputSerializer)
    def get(self, request, order_id):
        order = _order_for(request, self, order_id)
        return Response(OrderDetailApi.OutputSerializer(order).data)


class OrderCancelApi(APIView):
    api_key_scope = "orders:write"
    permission_classes = [IsOwnerOrStaff]
    owner_field = "user_id"

    @extend_schema(
        operation_id="orders_cancel",
        request=None,
        responses=OrderDetailOutputSerializer,
        description="Cancel before shipping (owner or staff). A paid order is refunded.",
    )
    @error_codes(CALLER_ERROR_CODES, {409: [OrderErrorCode.ILLEGAL_TRANSITION]})
    def post(self, request, order_id):
        order = _order_for(request, self, order_id)
        principal = principal_of(request)
        acting_for_someone_else = principal.is_staff and str(order.user_id) != principal.id
        order_cancel(
            order_id=order.id,
            reason=CancellationReason.STAFF if acting_for_someone_else else CancellationReason.CUSTOMER,
            actor=OrderStatusChange.Actor.STAFF
            if acting_for_someone_else
            else OrderStatusChange.Actor.CUSTOMER,
            actor_id=user_id_of(request),
        )
        return Response(_detail(order.id))


class OrderShipApi(APIView):
    api_key_scope = "orders:write"
    permission_classes = [IsStaff]

    @extend_schema_serializer(component_name="OrderShipInput")
    class InputSerializer(serializers.Serializer):
        carrier = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
        tracking_number = serializers.CharField(max_length=128, required=False, allow_blank=True, default="")

    @extend_schema(operation_id="orders_ship", request=InputSerializer, responses=OrderDetailOutputSerializer)
    @error_codes(CALLER_ERROR_CODES, {409: [OrderErrorCode.ILLEGAL_TRANSITION]})
    def post(self, request, order_id):
        serializer = OrderShipApi.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        order_ship(order_id=order_id, actor_id=user_id_of(request), **serializer.validated_data)
        return Response(_detail(order_id))


class OrderCompleteApi(APIView):
    api_key_scope = "orders:write"
    permission_classes = [IsStaff]

    @extend_schema(
        operation_id="orders_complete",
        request=None,
        responses=OrderDetailOutputSerializer,
        description="Mark a shipped order delivered (completed).",
    )
    @error_codes(CALLER_ERROR_CODES, {409: [OrderErrorCode.ILLEGAL_TRANSITION]})
    def post(self, request, order_id):
        order_complete(order_id=order_id, actor_id=user_id_of(request))
        return Response(_detail(order_id))
