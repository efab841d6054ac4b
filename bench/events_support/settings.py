"""Django settings of the events benchmark: a throwaway service with only servicekit.events."""

from pathlib import Path

from servicekit.settings import service_settings

globals().update(service_settings("bench", base_dir=Path(__file__).resolve().parent))
INSTALLED_APPS = [app for app in INSTALLED_APPS if app != "bench"]  # noqa: F821
ROOT_URLCONF = "events_support.settings"
urlpatterns: list = []
