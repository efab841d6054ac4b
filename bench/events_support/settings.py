"""Django settings of the events benchmark: a throwaway service with only servicekit.events
(bench/events.py sets SERVICE_NAME=bench and the EVENTS_* variables)."""

from servicekit.settings.base import *

ROOT_URLCONF = "events_support.settings"
urlpatterns: list = []
