from django.apps import AppConfig


class LinksConfig(AppConfig):
    name = "messaging.links"
    label = "messaging_links"
    default_auto_field = "django.db.models.BigAutoField"
