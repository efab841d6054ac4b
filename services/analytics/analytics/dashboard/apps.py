from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "analytics.dashboard"
    label = "dashboard"
    verbose_name = "Analytics dashboard"
