"""Routes under /api/v1/auth/ (the caller's own account and sessions) and /api/v1/users/ (staff
administration of accounts); both prefixes are mounted by identity/urls.py."""

from django.urls import path

from identity.accounts.api import auth_views, session_views, user_views
from servicekit.api import operations

auth_urlpatterns = [
    path("register/", auth_views.RegisterApi.as_view(), name="accounts-register"),
    path("verify-email/", auth_views.EmailVerifyApi.as_view(), name="accounts-verify-email"),
    path(
        "verify-email/resend/",
        auth_views.EmailVerificationResendApi.as_view(),
        name="accounts-verify-email-resend",
    ),
    path("me/", operations(get=auth_views.MeDetailApi, patch=auth_views.MeUpdateApi), name="accounts-me"),
    path("me/password/", auth_views.PasswordChangeApi.as_view(), name="accounts-me-password"),
    path("password-reset/", auth_views.PasswordResetRequestApi.as_view(), name="accounts-password-reset"),
    path(
        "password-reset/confirm/",
        auth_views.PasswordResetConfirmApi.as_view(),
        name="accounts-password-reset-confirm",
    ),
    path("login/", session_views.LoginApi.as_view(), name="accounts-login"),
    path("refresh/", session_views.RefreshApi.as_view(), name="accounts-refresh"),
    path("logout/", session_views.LogoutApi.as_view(), name="accounts-logout"),
    path("logout-all/", session_views.LogoutAllApi.as_view(), name="accounts-logout-all"),
    path("login-history/", session_views.LoginHistoryApi.as_view(), name="accounts-login-history"),
]

users_urlpatterns = [
    path("", user_views.UserListApi.as_view(), name="accounts-user-list"),
    path("login-history/", user_views.StaffLoginHistoryApi.as_view(), name="accounts-user-login-history"),
    path("<uuid:user_id>/", user_views.UserDetailApi.as_view(), name="accounts-user-detail"),
    path("<uuid:user_id>/activate/", user_views.UserActivateApi.as_view(), name="accounts-user-activate"),
    path(
        "<uuid:user_id>/deactivate/", user_views.UserDeactivateApi.as_view(), name="accounts-user-deactivate"
    ),
    path("<uuid:user_id>/roles/", user_views.UserRolesApi.as_view(), name="accounts-user-roles"),
    path("<uuid:user_id>/unlock/", user_views.UserUnlockApi.as_view(), name="accounts-user-unlock"),
]
