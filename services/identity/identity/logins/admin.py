from django.contrib import admin

from identity.logins.models import LoginAttempt
from servicekit.admin import ReadOnlyModelAdmin


@admin.register(LoginAttempt)
class LoginAttemptAdmin(ReadOnlyModelAdmin):
    """Login history is evidence: read-only."""

    list_display = ("created_at", "email", "outcome", "ip", "channel", "user_agent")
    list_filter = ("outcome", "channel", "created_at")
    search_fields = ("email", "=ip", "user_agent")
    date_hierarchy = "created_at"
