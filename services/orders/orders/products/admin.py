from django.contrib import admin

from orders.products.models import Product


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    """Read-only: the read model is owned by catalog's events."""

    list_display = ["name", "sku", "price", "currency", "is_active", "deleted_at", "source_changed_at"]
    list_filter = ["is_active", "currency"]
    search_fields = ["name", "sku", "id"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
