"""The console's sign-in: identity's accounts through servicekit's web session (tokens in
HttpOnly cookies sent only to /builds/, verified locally, rotated through identity)."""

from servicekit.websession import WebSession

CONSOLE = WebSession(
    name="builds_console",
    path="/builds/",
    url_prefix="console",
    home="console-dashboard",
    login_template="console/login.html",
    error_template="console/error.html",
)
