"""Money records, read-only: they change only through the payment services."""

from django.contrib import admin, messages

from orders.payments.models import Payment, Refund, WebhookEvent
from orders.payments.refunds import refund_retry
from servicekit.admin import ReadOnlyModelAdmin, amount_column
from servicekit.envelope.errors import Conflict


@admin.register(Payment)
class PaymentAdmin(ReadOnlyModelAdmin):
    list_display = [
        "id",
        "order",
        "status",
        amount_column("amount"),
        "currency",
        "provider",
        "card_last4",
        "created_at",
    ]
    list_filter = ["status", "provider"]
    search_fields = ["id", "order__id", "user_id", "provider_payment_id"]


@admin.register(Refund)
class RefundAdmin(ReadOnlyModelAdmin):
    list_display = [
        "id",
        "payment",
        "status",
        amount_column("amount"),
        "currency",
        "reason",
        "attempts",
        "failure_message",
        "created_at",
    ]
    list_filter = ["status", "reason"]
    search_fields = ["id", "payment__id", "payment__order__id", "provider_refund_id"]
    actions = ["retry"]

    def has_retry_permission(self, request) -> bool:
        # Whoever may see refunds here may ask again for a failed one (as staff can in the API).
        return request.user.is_active and request.user.is_staff and self.has_view_permission(request)

    @admin.action(description="Retry selected failed refunds", permissions=["retry"])
    def retry(self, request, queryset):
        retried, skipped = 0, 0
        for refund in queryset.only("id", "payment_id"):
            try:
                refund_retry(payment_id=refund.payment_id, actor=f"admin:{request.user.get_username()}")
            except Conflict:  # not failed (pending, succeeded, or retried meanwhile)
                skipped += 1
            else:
                retried += 1
        if retried:
            self.message_user(
                request, f"Retried {retried} refund(s); each is pending again.", messages.SUCCESS
            )
        if skipped:
            self.message_user(request, f"Skipped {skipped} refund(s) that had not failed.", messages.WARNING)


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyModelAdmin):
    list_display = ["provider", "event_id", "event_type", "outcome", "received_at"]
    list_filter = ["provider", "event_type", "outcome"]
    search_fields = ["event_id"]
