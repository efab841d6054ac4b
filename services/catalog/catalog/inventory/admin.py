from __future__ import annotations

from django.contrib import admin

from catalog.inventory.models import StockAdjustment, StockReservation, StockReservationLine
from catalog.inventory.services import stock_adjust
from servicekit.admin import ReadOnlyModelAdmin, ReadOnlyTabularInline, ServiceModelAdmin, admin_actor, adopt

ADJUSTMENT_FIELDS = ["product", "delta", "stock_before", "stock_after", "reason", "actor_id", "created_at"]


@admin.register(StockAdjustment)
class StockAdjustmentAdmin(ServiceModelAdmin):
    """The stock audit trail: append-only. Adding one adjusts the stock through ``stock_adjust``
    (refused below the reserved units), as ``POST …/stock-adjustments/`` does."""

    list_display = ["product", "delta", "stock_before", "stock_after", "reason", "actor_id", "created_at"]
    list_select_related = ["product"]
    search_fields = ["product__sku", "reason", "actor_id"]
    raw_id_fields = ["product"]

    def get_fields(self, request, obj=None):
        return ["product", "delta", "reason"] if obj is None else ADJUSTMENT_FIELDS

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else ADJUSTMENT_FIELDS

    def has_change_permission(self, request, obj=None) -> bool:  # an audit trail is append-only
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change) -> None:
        adjustment = stock_adjust(
            product=form.cleaned_data["product"],
            delta=form.cleaned_data["delta"],
            reason=form.cleaned_data["reason"],
            actor_id=admin_actor(request),
        )
        adopt(obj, adjustment)


class StockReservationLineInline(ReadOnlyTabularInline):
    model = StockReservationLine


@admin.register(StockReservation)
class StockReservationAdmin(ReadOnlyModelAdmin):
    """Where each order stands in the checkout saga; only orders' events change it (deleting a
    reservation here would leave its units reserved for ever)."""

    list_display = ["order_id", "status", "reason", "user_id", "created_at", "updated_at"]
    list_filter = ["status"]
    search_fields = ["order_id", "user_id"]
    readonly_fields = ["order_id", "user_id", "status", "reason", "failed_lines", "created_at", "updated_at"]
    inlines = [StockReservationLineInline]
