"""Payment APIs: pay an order, list and read payments, retry a failed refund (staff), and the
providers' webhooks."""

from __future__ import annotations

from django.core.exceptions import ObjectDoesNotExist
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from orders.api import CALLER_ERROR_CODES, lister_of
from orders.payments.errors import PaymentErrorCode
from orders.payments.models import Payment, PaymentStatus, RefundStatus
from orders.payments.refunds import refund_retry
from orders.payments.selectors import payment_get, payment_list
from orders.payments.services import payment_create, payment_webhook_receive
from servicekit.api import PublicApi
from servicekit.auth import IsOwnerOrStaff, IsStaff, user_id_of
from servicekit.envelope.errors import NotFound
from servicekit.envelope.pagination import paginated_response
from servicekit.money import MoneyField
from servicekit.openapi import error_codes
from servicekit.params import query_filters


@extend_schema_serializer(component_name="Payment")
class PaymentOutputSerializer(serializers.ModelSerializer):
    @extend_schema_serializer(component_name="PaymentRefund")
    class RefundSerializer(serializers.Serializer):
        id = serializers.UUIDField()
        status = serializers.ChoiceField(
            choices=RefundStatus.choices,
            help_text="pending (being asked for) → succeeded, or failed (see failure_message; staff may retry).",
        )
        amount = MoneyField()
        currency = serializers.CharField()
        reason = serializers.CharField()
        failure_message = serializers.CharField(help_text="Why the provider refused the refund, when failed.")
        attempts = serializers.IntegerField(help_text="How many times the refund was asked for.")
        created_at = serializers.DateTimeField()
        updated_at = serializers.DateTimeField()
        succeeded_at = serializers.DateTimeField(allow_null=True)
        failed_at = serializers.DateTimeField(allow_null=True)

    amount = MoneyField()
    refund = serializers.SerializerMethodField()

    class Meta:
        model = Payment
        fields = [
            "id",
            "order_id",
            "provider",
            "status",
            "amount",
            "currency",
            "card_brand",
            "card_last4",
            "failure_code",
            "failure_message",
            "next_action",
            "refund",
            "created_at",
            "succeeded_at",
            "failed_at",
        ]
        read_only_fields = fields

    @extend_schema_field(RefundSerializer(allow_null=True))
    def get_refund(self, payment: Payment):
        try:
            refund = payment.refund
        except ObjectDoesNotExist:
            return None
        return PaymentOutputSerializer.RefundSerializer(refund).data


class PaymentCreateApi(APIView):
    api_key_scope = "orders:write"

    @extend_schema_serializer(component_name="PaymentCreateInput")
    class InputSerializer(serializers.Serializer):
        order_id = serializers.UUIDField()
        payment_method = serializers.CharField(
            max_length=64,
            help_text="For the `test` provider, one of its test card numbers (e.g. 4242 4242 4242 4242).",
        )
        provider = serializers.CharField(max_length=32, required=False)

    OutputSerializer = PaymentOutputSerializer

    @extend_schema(
        operation_id="payments_create",
        request=InputSerializer,
        responses={201: PaymentOutputSerializer},
        description=(
            "Pay a confirmed order. The payment comes back `succeeded` (the order is paid), "
            "`failed` (see failure_code; another attempt may follow) or `requires_action` "
            "(3-D Secure: follow next_action; a provider webhook settles it)."
        ),
    )
    @error_codes(
        CALLER_ERROR_CODES,
        {
            404: [PaymentErrorCode.NOT_FOUND, PaymentErrorCode.UNKNOWN_PROVIDER],
            409: [PaymentErrorCode.ORDER_NOT_PAYABLE, PaymentErrorCode.PAYMENT_IN_PROGRESS],
            503: [PaymentErrorCode.PROVIDER_UNAVAILABLE],
        },
    )
    def post(self, request):
        serializer = PaymentCreateApi.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        payment = payment_create(
            user_id=user_id_of(request),
            order_id=data["order_id"],
            payment_method=data["payment_method"],
            provider_name=data.get("provider"),
        )
        return Response(PaymentCreateApi.OutputSerializer(payment).data, status=status.HTTP_201_CREATED)


class PaymentListApi(APIView):
    """Your payments, newest first; staff see every customer's."""

    api_key_scope = "orders:read"

    class FilterSerializer(serializers.Serializer):
        order_id = serializers.UUIDField(required=False)
        status = serializers.ChoiceField(choices=PaymentStatus.choices, required=False)
        refund_status = serializers.ChoiceField(
            choices=RefundStatus.choices,
            required=False,
            help_text="Payments whose refund is in this state (e.g. `failed`, to find refunds to retry).",
        )

    OutputSerializer = PaymentOutputSerializer

    @extend_schema(
        operation_id="payments_list",
        parameters=[FilterSerializer],
        responses=PaymentOutputSerializer(many=True),
    )
    @error_codes(CALLER_ERROR_CODES)
    def get(self, request):
        filters = query_filters(PaymentListApi.FilterSerializer, request)
        payments = payment_list(principal=lister_of(request), **filters)
        return paginated_response(
            request=request, view=self, queryset=payments, serializer_class=PaymentListApi.OutputSerializer
        )


class PaymentDetailApi(APIView):
    api_key_scope = "orders:read"
    permission_classes = [IsOwnerOrStaff]
    owner_field = "user_id"
    OutputSerializer = PaymentOutputSerializer

    @extend_schema(operation_id="payments_retrieve", responses=PaymentOutputSerializer)
    def get(self, request, payment_id):
        payment = payment_get(payment_id=payment_id)
        if payment is None:
            raise NotFound("No such payment.", code=PaymentErrorCode.NOT_FOUND)
        self.check_object_permissions(request, payment)
        return Response(PaymentDetailApi.OutputSerializer(payment).data)


class PaymentRefundRetryApi(APIView):
    api_key_scope = "orders:write"
    permission_classes = [IsStaff]
    OutputSerializer = PaymentOutputSerializer

    @extend_schema(
        operation_id="payments_refund_retry",
        request=None,
        responses={202: PaymentOutputSerializer},
        description=(
            "Staff only. Ask the provider again for a refund it reported failed: the refund "
            "becomes `pending` (a new attempt) and is settled in the background. 409 "
            "`refund_not_retryable` if the payment has no refund or its refund has not failed."
        ),
    )
    @error_codes(CALLER_ERROR_CODES, {409: [PaymentErrorCode.REFUND_NOT_RETRYABLE]})
    def post(self, request, payment_id):
        refund_retry(payment_id=payment_id, actor=str(user_id_of(request)))
        payment = payment_get(payment_id=payment_id)
        return Response(PaymentRefundRetryApi.OutputSerializer(payment).data, status=status.HTTP_202_ACCEPTED)


class PaymentWebhookApi(PublicApi):
    """Public: the provider authenticates by signing the raw body (HMAC-SHA256)."""

    @extend_schema_serializer(component_name="PaymentWebhookReceipt")
    class OutputSerializer(serializers.Serializer):
        event_id = serializers.CharField()
        event_type = serializers.CharField()
        is_duplicate = serializers.BooleanField()
        outcome = serializers.CharField()

    @extend_schema(operation_id="payments_webhook", request=None, responses=OutputSerializer, auth=[])
    @error_codes({400: [PaymentErrorCode.INVALID_SIGNATURE], 404: [PaymentErrorCode.UNKNOWN_PROVIDER]})
    def post(self, request, provider):
        receipt = payment_webhook_receive(provider_name=provider, body=request.body, headers=request.headers)
        return Response(PaymentWebhookApi.OutputSerializer(receipt).data)
