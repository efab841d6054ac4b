from django.contrib import admin, messages

from identity.tokens.models import RefreshToken, RevocationReason
from identity.tokens.services import refresh_tokens_revoke


@admin.register(RefreshToken)
class RefreshTokenAdmin(admin.ModelAdmin):
    """Sessions, read-only: tokens are issued by signing in, never by hand."""

    list_display = ("jti", "user", "created_at", "expires_at", "revoked_at", "revoked_reason")
    list_filter = ("revoked_reason", ("revoked_at", admin.EmptyFieldListFilter), "created_at")
    search_fields = ("user__email", "=jti", "=family_id")
    list_select_related = ("user",)
    date_hierarchy = "created_at"
    readonly_fields = [field.name for field in RefreshToken._meta.fields]
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Revoke selected refresh tokens", permissions=["change"])
    def revoke(self, request, queryset):
        count = refresh_tokens_revoke(tokens=queryset, reason=RevocationReason.STAFF)
        messages.success(request, f"Revoked {count} refresh token(s).")
