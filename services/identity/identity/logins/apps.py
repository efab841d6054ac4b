from django.apps import AppConfig


class LoginsConfig(AppConfig):
    name = "identity.logins"
    label = "logins"
    verbose_name = "Sign-ins"
    default_auto_field = "django.db.models.BigAutoField"
