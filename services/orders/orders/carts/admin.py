from django.contrib import admin

from orders.carts.models import Cart, CartLine


class CartLineInline(admin.TabularInline):
    model = CartLine
    extra = 0
    raw_id_fields = ["product"]


@admin.register(Cart)
class CartAdmin(admin.ModelAdmin):
    list_display = ["user_id", "created_at", "updated_at"]
    search_fields = ["user_id"]
    inlines = [CartLineInline]
