"""Routes under /analytics/ (analytics/urls.py): the dashboard, its data and its sign-in."""

from django.urls import path

from analytics.dashboard import views
from analytics.dashboard.session import DASHBOARD
from servicekit.websession import session_urlpatterns

urlpatterns = [
    path("", views.dashboard, name="dashboard-home"),
    path("data/", views.dashboard_data, name="dashboard-data"),
    *session_urlpatterns(DASHBOARD),  # login/, session/, logout/
]
