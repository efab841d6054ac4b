from django.contrib import admin

from catalog.inventory.models import StockAdjustment, StockReservation, StockReservationLine


@admin.register(StockAdjustment)
class StockAdjustmentAdmin(admin.ModelAdmin):
    list_display = ["product", "delta", "stock_before", "stock_after", "reason", "actor_id", "created_at"]
    list_select_related = ["product"]
    search_fields = ["product__sku", "reason", "actor_id"]

    def has_change_permission(self, request, obj=None) -> bool:  # an audit trail is append-only
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class StockReservationLineInline(admin.TabularInline):
    model = StockReservationLine
    extra = 0
    can_delete = False
    readonly_fields = ["product_id", "quantity"]


@admin.register(StockReservation)
class StockReservationAdmin(admin.ModelAdmin):
    list_display = ["order_id", "status", "reason", "user_id", "created_at", "updated_at"]
    list_filter = ["status"]
    search_fields = ["order_id", "user_id"]
    readonly_fields = ["order_id", "user_id", "status", "reason", "failed_lines", "created_at", "updated_at"]
    inlines = [StockReservationLineInline]
