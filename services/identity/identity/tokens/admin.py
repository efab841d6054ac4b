from django.contrib import admin, messages

from identity.tokens.models import RefreshToken, RevocationReason
from identity.tokens.services import refresh_tokens_revoke
from servicekit.admin import ReadOnlyModelAdmin


@admin.register(RefreshToken)
class RefreshTokenAdmin(ReadOnlyModelAdmin):
    """Sessions: tokens are issued by signing in, never by hand; staff can revoke them."""

    list_display = ("jti", "user", "created_at", "expires_at", "revoked_at", "revoked_reason")
    list_filter = ("revoked_reason", ("revoked_at", admin.EmptyFieldListFilter), "created_at")
    search_fields = ("user__email", "=jti", "=family_id")
    list_select_related = ("user",)
    date_hierarchy = "created_at"
    actions = ["revoke"]

    @admin.action(description="Revoke selected refresh tokens", permissions=["service"])
    def revoke(self, request, queryset):
        count = refresh_tokens_revoke(tokens=queryset, reason=RevocationReason.STAFF)
        messages.success(request, f"Revoked {count} refresh token(s).")
