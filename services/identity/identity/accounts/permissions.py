from __future__ import annotations

from rest_framework.permissions import BasePermission

from identity.accounts.models import STAFF_ROLES, User
from servicekit.auth.permissions import principal_of


class IsCurrentStaff(BasePermission):
    """Staff by the token *and* by identity's own records. Other services trust the token's
    roles until it expires; identity has the account at hand, so a staff member demoted or
    deactivated a minute ago is refused here at once."""

    message = "This requires a staff account."
    allowed_roles = STAFF_ROLES  # documented as the operation's x-permission (servicekit.openapi)

    def has_permission(self, request, view) -> bool:
        principal = principal_of(request)
        if principal is None or not principal.is_staff:
            return False
        return User.objects.filter(pk=principal.id, is_active=True, roles__overlap=list(STAFF_ROLES)).exists()
