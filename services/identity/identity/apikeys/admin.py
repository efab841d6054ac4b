from django.contrib import admin, messages

from identity.apikeys.models import ApiKey
from identity.apikeys.services import api_key_revoke


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
class ApiKeyAdmin(admin.ModelAdmin):
    """Keys are created by their owners (the secret is shown to them once); staff can revoke."""

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
    readonly_fields = [field.name for field in ApiKey._meta.fields if field.name != "secret_hash"]
    exclude = ("secret_hash",)
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Revoke selected API keys", permissions=["change"])
    def revoke(self, request, queryset):
        for api_key in queryset.filter(revoked_at__isnull=True):
            api_key_revoke(api_key=api_key)  # publishes identity.api_key.revoked for each
        messages.success(request, "Revoked the selected API keys.")
