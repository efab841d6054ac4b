"""Every service's admin site: it names its service, signs staff in by email, and its
"View site" link leads to the gateway's API docs (a service has no page of its own at ``/``)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm

# Where "View site" leads: the gateway serves every service's API documentation there.
GATEWAY_DOCS_URL = "/api/docs"


class EmailAuthenticationForm(AdminAuthenticationForm):
    """Staff sign in with their identity email (the shadow users' username is that email)."""

    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "invalid_login": (
            "Please enter the correct email and password for a staff account. "
            "Note that the password is case-sensitive."
        ),
    }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].label = "Email"


class ServiceAdminSite(admin.AdminSite):
    login_form = EmailAuthenticationForm
    site_url = GATEWAY_DOCS_URL

    def __init__(self, name: str = "admin") -> None:
        super().__init__(name)
        # Six admins look alike: each says whose it is (header, page titles, index).
        self.site_header = self.site_title = self.index_title = f"{settings.SERVICE_NAME} administration"
