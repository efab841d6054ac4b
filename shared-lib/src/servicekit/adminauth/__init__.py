"""Staff sign-in for every service's Django admin, with identity's credentials.

Each service's admin (``/admin/<service>/`` through the gateway) authenticates with
:class:`~servicekit.adminauth.backends.IdentityStaffBackend`: the email and password go to
identity's internal staff-login endpoint, and an active staff member gets a local *shadow*
user (no usable password: there are no per-service passwords). ``handlers`` keeps shadows in
step with identity's ``identity.user.updated`` / ``identity.user.deactivated`` events, and ends
a shadow's admin sessions on ``identity.user.tokens_revoked`` (log out everywhere, password
change or reset, deactivation).
"""
