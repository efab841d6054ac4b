"""The Django admin of every service.

:mod:`servicekit.admin.site` is the site itself (installed by ``servicekit.settings`` through
:class:`~servicekit.admin.apps.ServiceAdminConfig`); the model admins a service registers come
from here::

    from servicekit.admin import ReadOnlyModelAdmin, ServiceModelAdmin

Staff sign in with identity's credentials: see :mod:`servicekit.adminauth`.
"""

from servicekit.admin.model_admins import (
    ReadOnlyModelAdmin,
    ReadOnlyTabularInline,
    ServiceModelAdmin,
    admin_actor,
    adopt,
    amount_column,
    describe,
    form_errors_from,
)

__all__ = [
    "ReadOnlyModelAdmin",
    "ReadOnlyTabularInline",
    "ServiceModelAdmin",
    "admin_actor",
    "adopt",
    "amount_column",
    "describe",
    "form_errors_from",
]
