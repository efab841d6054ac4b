from django.contrib import admin

from orders.products.models import Product
from servicekit.admin import ReadOnlyModelAdmin, amount_column


@admin.register(Product)
class ProductAdmin(ReadOnlyModelAdmin):
    """The read model is owned by catalog's events."""

    list_display = [
        "name",
        "sku",
        amount_column("price"),
        "currency",
        "is_active",
        "deleted_at",
        "source_changed_at",
    ]
    list_filter = ["is_active", "currency"]
    search_fields = ["name", "sku", "id"]
