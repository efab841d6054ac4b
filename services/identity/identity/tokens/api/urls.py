from django.urls import path

from identity.tokens.api import views

auth_urlpatterns = [
    path("login/", views.LoginApi.as_view(), name="auth-login"),
    path("refresh/", views.RefreshApi.as_view(), name="auth-refresh"),
    path("logout/", views.LogoutApi.as_view(), name="auth-logout"),
    path("logout-all/", views.LogoutAllApi.as_view(), name="auth-logout-all"),
]
