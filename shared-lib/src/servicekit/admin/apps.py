"""Django's admin app with every service's site (``INSTALLED_APPS`` names it in place of
``django.contrib.admin``, see :mod:`servicekit.settings`)."""

from __future__ import annotations

from django.contrib.admin.apps import AdminConfig


class ServiceAdminConfig(AdminConfig):
    default_site = "servicekit.admin.site.ServiceAdminSite"
