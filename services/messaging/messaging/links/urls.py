"""Routes under /account/ (messaging/urls.py): the pages identity's e-mailed links point at."""

from django.urls import path

from messaging.links.views import reset_password_page, verify_email_page

urlpatterns = [
    path("verify/", verify_email_page, name="links-verify-email"),
    path("reset-password/", reset_password_page, name="links-reset-password"),
]
