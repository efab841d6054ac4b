from django.contrib import admin

from catalog.products.models import Product, ProductImage


class ProductImageInline(admin.TabularInline):
    model = ProductImage
    extra = 0
    fields = ["file", "url", "alt_text", "position", "content_type", "size"]
    readonly_fields = ["content_type", "size"]


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    """Read-mostly: changes made here bypass the services (no events, no audit), so stock
    and money fields are read-only; use the API for real changes."""

    list_display = ["sku", "name", "price", "currency", "stock_on_hand", "reserved", "is_active", "vendor_id"]
    list_filter = ["is_active", "currency", "category"]
    search_fields = ["sku", "name"]
    list_select_related = ["category"]
    readonly_fields = [
        "id", "price", "currency", "stock_on_hand", "reserved", "rating_average", "rating_count",
        "vendor_id", "created_at", "updated_at",
    ]  # fmt: skip
    exclude = ["search_vector"]
    inlines = [ProductImageInline]
