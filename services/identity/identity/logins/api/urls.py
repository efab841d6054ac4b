from django.urls import path

from identity.logins.api import views

auth_urlpatterns = [
    path("login-history/", views.LoginHistoryApi.as_view(), name="auth-login-history"),
]

users_urlpatterns = [
    path("login-history/", views.StaffLoginHistoryApi.as_view(), name="user-login-history"),
    path("<uuid:user_id>/unlock/", views.UserUnlockApi.as_view(), name="user-unlock"),
]

internal_urlpatterns = [
    path("auth/staff-login/", views.StaffLoginApi.as_view(), name="internal-staff-login"),
]
