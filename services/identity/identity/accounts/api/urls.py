from django.urls import path

from identity.accounts.api import auth_views, user_views

auth_urlpatterns = [
    path("register/", auth_views.RegisterApi.as_view(), name="auth-register"),
    path("verify-email/", auth_views.EmailVerifyApi.as_view(), name="auth-verify-email"),
    path(
        "verify-email/resend/",
        auth_views.EmailVerificationResendApi.as_view(),
        name="auth-verify-email-resend",
    ),
    path("me/", auth_views.MeApi.as_view(), name="auth-me"),
    path("me/password/", auth_views.PasswordChangeApi.as_view(), name="auth-password-change"),
    path("password-reset/", auth_views.PasswordResetRequestApi.as_view(), name="auth-password-reset"),
    path(
        "password-reset/confirm/",
        auth_views.PasswordResetConfirmApi.as_view(),
        name="auth-password-reset-confirm",
    ),
]

users_urlpatterns = [
    path("", user_views.UserListApi.as_view(), name="user-list"),
    path("<uuid:user_id>/", user_views.UserDetailApi.as_view(), name="user-detail"),
    path("<uuid:user_id>/activate/", user_views.UserActivateApi.as_view(), name="user-activate"),
    path("<uuid:user_id>/deactivate/", user_views.UserDeactivateApi.as_view(), name="user-deactivate"),
    path("<uuid:user_id>/roles/", user_views.UserRolesApi.as_view(), name="user-roles"),
]
