from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "identity.access"
    label = "access"
    verbose_name = "Access"
