"""The catalog's own settings, with a URLconf that adds the plain baseline view."""

from catalog.settings import *

ROOT_URLCONF = "catalog_plain.urls"
