"""The analytics dashboard under ``/analytics/``: charts of the platform metrics for staff,
signed in with identity's accounts (servicekit.websession), drawn by Chart.js (npm, served
locally) from the metrics selectors' rows."""
