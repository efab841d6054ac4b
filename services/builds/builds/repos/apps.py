from django.apps import AppConfig


class ReposConfig(AppConfig):
    name = "builds.repos"
    default_auto_field = "django.db.models.BigAutoField"
