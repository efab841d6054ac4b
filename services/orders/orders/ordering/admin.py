from django.contrib import admin

from orders.ordering.models import CheckoutIdempotencyKey, Order, OrderLine, OrderStatusChange
from servicekit.admin import ReadOnlyModelAdmin, ReadOnlyTabularInline, amount_column


class OrderLineInline(ReadOnlyTabularInline):
    model = OrderLine


class OrderStatusChangeInline(ReadOnlyTabularInline):
    model = OrderStatusChange


@admin.register(Order)
class OrderAdmin(ReadOnlyModelAdmin):
    """Status changes go through the API so the state machine and events apply."""

    list_display = [
        "id",
        "user_id",
        "status",
        amount_column("total"),
        "currency",
        "placed_at",
        "payment_due_at",
    ]
    list_filter = ["status", "currency", "cancellation_reason"]
    search_fields = ["id", "user_id"]
    date_hierarchy = "placed_at"
    inlines = [OrderLineInline, OrderStatusChangeInline]


@admin.register(CheckoutIdempotencyKey)
class CheckoutIdempotencyKeyAdmin(ReadOnlyModelAdmin):
    """Kept for replays of a checkout, pruned by a task; never edited by hand."""

    list_display = ["user_id", "key", "order", "created_at"]
    search_fields = ["user_id", "key"]
