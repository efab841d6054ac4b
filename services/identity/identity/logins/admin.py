from django.contrib import admin

from identity.logins.models import LoginAttempt


@admin.register(LoginAttempt)
class LoginAttemptAdmin(admin.ModelAdmin):
    """Login history is evidence: read-only."""

    list_display = ("created_at", "email", "outcome", "ip", "channel", "user_agent")
    list_filter = ("outcome", "channel", "created_at")
    search_fields = ("email", "=ip", "user_agent")
    date_hierarchy = "created_at"
    readonly_fields = [field.name for field in LoginAttempt._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
