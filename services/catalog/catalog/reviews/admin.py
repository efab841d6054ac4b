from __future__ import annotations

from django.contrib import admin

from catalog.reviews.models import Purchase, Review
from catalog.reviews.services import review_delete, review_set_visibility, review_update
from servicekit.admin import ReadOnlyModelAdmin, ServiceModelAdmin, admin_actor


@admin.register(Review)
class ReviewAdmin(ServiceModelAdmin):
    """Moderation through the review services, so the product's rating and the cache follow:
    hide/unhide (actions), edit the text, delete. Reviews are written by buyers, not here."""

    list_display = ["product", "user_id", "rating", "title", "is_visible", "created_at"]
    list_filter = ["is_visible", "rating"]
    list_select_related = ["product"]
    search_fields = ["title", "user_id", "product__sku"]
    fields = [
        "product", "user_id", "rating", "title", "body", "is_visible", "moderated_by", "moderated_at",
        "moderation_reason", "created_at", "updated_at",
    ]  # fmt: skip
    readonly_fields = [
        "product", "user_id", "rating", "is_visible", "moderated_by", "moderated_at", "moderation_reason",
        "created_at", "updated_at",
    ]  # fmt: skip
    actions = ["hide", "unhide"]

    def has_add_permission(self, request) -> bool:
        return False

    def save_model(self, request, obj, form, change) -> None:
        review_update(
            review=obj,
            data={name: form.cleaned_data[name] for name in form.changed_data if name in ("title", "body")},
        )

    def delete_through_service(self, request, obj) -> None:
        review_delete(review=obj)

    def _set_visibility(self, request, queryset, *, is_visible: bool, done: str) -> None:
        actor = admin_actor(request)
        self.apply_to_each(
            request,
            queryset,
            lambda review: review_set_visibility(
                review=review, is_visible=is_visible, moderator_id=actor, reason="moderated in the admin"
            ),
            done=done,
        )

    @admin.action(description="Hide selected reviews", permissions=["change"])
    def hide(self, request, queryset) -> None:
        self._set_visibility(request, queryset, is_visible=False, done="Hidden")

    @admin.action(description="Show selected reviews again", permissions=["change"])
    def unhide(self, request, queryset) -> None:
        self._set_visibility(request, queryset, is_visible=True, done="Shown again")


@admin.register(Purchase)
class PurchaseAdmin(ReadOnlyModelAdmin):
    """Who bought what, as orders' paid/completed events told us (review eligibility)."""

    list_display = ["user_id", "product_id", "order_id", "created_at"]
    search_fields = ["user_id", "product_id", "order_id"]
