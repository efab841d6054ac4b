"""Routes under /internal/auth/ (identity/urls.py); between services only."""

from django.urls import path

from identity.logins.api.views import StaffLoginApi

internal_urlpatterns = [
    path("staff-login/", StaffLoginApi.as_view(), name="internal-logins-staff-login"),
]
