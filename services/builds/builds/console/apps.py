from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    name = "builds.console"
    label = "console"
    verbose_name = "Builds console"
