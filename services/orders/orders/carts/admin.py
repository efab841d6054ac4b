from django.contrib import admin

from orders.carts.models import Cart, CartIdempotencyKey, CartLine
from servicekit.admin import ReadOnlyModelAdmin, ReadOnlyTabularInline


class CartLineInline(ReadOnlyTabularInline):
    model = CartLine


@admin.register(Cart)
class CartAdmin(ReadOnlyModelAdmin):
    """Carts are their owners' (through the API): staff look, for support."""

    list_display = ["user_id", "created_at", "updated_at"]
    search_fields = ["user_id"]
    inlines = [CartLineInline]


@admin.register(CartIdempotencyKey)
class CartIdempotencyKeyAdmin(ReadOnlyModelAdmin):
    """Kept for replays of an add to the cart, pruned by a task; never edited by hand."""

    list_display = ["user_id", "key", "product_id", "is_new_line", "created_at"]
    search_fields = ["user_id", "key"]
