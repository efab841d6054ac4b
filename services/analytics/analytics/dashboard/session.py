"""The dashboard's sign-in: identity's accounts through servicekit's web session (tokens in
HttpOnly cookies sent only to /analytics/), for staff only."""

from servicekit.websession import WebSession

DASHBOARD = WebSession(
    name="analytics_dashboard",
    path="/analytics/",
    url_prefix="dashboard",
    home="dashboard-home",
    login_template="dashboard/login.html",
    error_template="dashboard/error.html",
    staff_only=True,
    staff_only_message=(
        "The analytics dashboard is for staff. You are signed in with an account that has no "
        "staff role: sign out and sign in with a staff account."
    ),
)
