from django.contrib import admin

from catalog.reviews.models import Purchase, Review


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    """Moderate through the API (POST …/hide/) so the product's rating follows."""

    list_display = ["product", "user_id", "rating", "title", "is_visible", "created_at"]
    list_filter = ["is_visible", "rating"]
    list_select_related = ["product"]
    search_fields = ["title", "user_id", "product__sku"]
    readonly_fields = ["product", "user_id", "rating", "is_visible", "moderated_by", "moderated_at"]


@admin.register(Purchase)
class PurchaseAdmin(admin.ModelAdmin):
    list_display = ["user_id", "product_id", "order_id", "created_at"]
    search_fields = ["user_id", "product_id", "order_id"]
