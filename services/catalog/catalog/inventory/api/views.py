"""Stock reservations: staff's view of where an order stands in the stock saga.

(A product's stock adjustments are served under the product: ``catalog.products.api.stock_views``.)
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.inventory.selectors import stock_reservation_get
from catalog.products.api.serializers import iso
from servicekit.auth.permissions import IsStaff
from servicekit.envelope.errors import NotFound


class StockReservationDetailApi(APIView):
    """Where an order stands in the stock saga (staff, for support)."""

    permission_classes = [IsStaff]

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "StockReservationDetailOutput"

        order_id = serializers.UUIDField()
        user_id = serializers.CharField()
        status = serializers.CharField()
        reason = serializers.CharField()
        lines = serializers.ListField(child=serializers.DictField())
        failed_lines = serializers.ListField(child=serializers.DictField())
        created_at = serializers.DateTimeField()
        updated_at = serializers.DateTimeField()

        def to_representation(self, reservation):
            return {
                "order_id": str(reservation.order_id),
                "user_id": reservation.user_id,
                "status": reservation.status,
                "reason": reservation.reason,
                "lines": [
                    {"product_id": str(line.product_id), "quantity": line.quantity}
                    for line in reservation.lines.all()
                ],
                "failed_lines": reservation.failed_lines,
                "created_at": iso(reservation.created_at),
                "updated_at": iso(reservation.updated_at),
            }

    @extend_schema(responses=OutputSerializer)
    def get(self, request: Request, order_id: str) -> Response:
        reservation = stock_reservation_get(order_id=order_id)
        if reservation is None:
            raise NotFound("No reservation for this order.")
        return Response(self.OutputSerializer(reservation).data)
