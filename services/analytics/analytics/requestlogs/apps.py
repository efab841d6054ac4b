from django.apps import AppConfig


class RequestLogsConfig(AppConfig):
    name = "analytics.requestlogs"
    label = "requestlogs"
    default_auto_field = "django.db.models.BigAutoField"
