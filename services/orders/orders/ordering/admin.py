from django.contrib import admin

from orders.ordering.models import CheckoutIdempotencyKey, Order, OrderLine, OrderStatusChange


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    extra = 0
    can_delete = False
    readonly_fields = ["product_id", "sku", "name", "unit_price", "quantity", "line_total"]

    def has_add_permission(self, request, obj=None):
        return False


class OrderStatusChangeInline(admin.TabularInline):
    model = OrderStatusChange
    extra = 0
    can_delete = False
    readonly_fields = ["from_status", "to_status", "actor", "actor_id", "reason", "created_at"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    """Read-only: status changes go through the API so the state machine and events apply."""

    list_display = ["id", "user_id", "status", "total", "currency", "placed_at", "payment_due_at"]
    list_filter = ["status", "currency", "cancellation_reason"]
    search_fields = ["id", "user_id"]
    date_hierarchy = "placed_at"
    inlines = [OrderLineInline, OrderStatusChangeInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CheckoutIdempotencyKey)
class CheckoutIdempotencyKeyAdmin(admin.ModelAdmin):
    list_display = ["user_id", "key", "order", "created_at"]
    search_fields = ["user_id", "key"]
    readonly_fields = ["user_id", "key", "fingerprint", "order", "created_at"]
