from django.contrib import admin

from identity.apikeys.models import ApiKey
from identity.apikeys.services import api_key_revoke
from servicekit.admin import ReadOnlyModelAdmin


class UsableFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("revoked", "Revoked"), ("live", "Not revoked")]

    def queryset(self, request, queryset):
        if self.value() == "revoked":
            return queryset.filter(revoked_at__isnull=False)
        if self.value() == "live":
            return queryset.filter(revoked_at__isnull=True)
        return queryset


@admin.register(ApiKey)
class ApiKeyAdmin(ReadOnlyModelAdmin):
    """Keys are created by their owners (the secret is shown to them once); staff can revoke
    them, which tells every service (deleting a row would not)."""

    list_display = (
        "prefix",
        "name",
        "user",
        "scopes",
        "created_at",
        "last_used_at",
        "expires_at",
        "revoked_at",
    )
    list_filter = (UsableFilter, "created_at", "expires_at")
    search_fields = ("=prefix", "name", "user__email")
    list_select_related = ("user",)
    date_hierarchy = "created_at"
    exclude = ("secret_hash",)
    actions = ["revoke"]

    @admin.action(description="Revoke selected API keys", permissions=["service"])
    def revoke(self, request, queryset):
        self.apply_to_each(  # publishes identity.api_key.revoked for each
            request,
            queryset.filter(revoked_at__isnull=True),
            lambda api_key: api_key_revoke(api_key=api_key),
            done="Revoked",
        )
