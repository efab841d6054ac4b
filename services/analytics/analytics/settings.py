"""The analytics service's settings: servicekit's base (what every service shares) plus its own apps."""

from servicekit.settings.base import *
from servicekit.settings.base import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "analytics"]
