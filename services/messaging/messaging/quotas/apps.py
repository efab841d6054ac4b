from django.apps import AppConfig


class QuotasConfig(AppConfig):
    name = "messaging.quotas"
    label = "messaging_quotas"
    default_auto_field = "django.db.models.BigAutoField"
