"""Signed-in web pages of a service (builds' console, analytics' dashboard) with identity's
accounts: the token pair in HttpOnly cookies, verified locally, rotated through identity.

``WebSession`` describes one area (cookies, path, templates, staff only or not);
``signed_in(area)`` guards its pages and ``session_urlpatterns(area)`` adds its sign-in routes.
"""

from servicekit.websession.identity import TokenPair
from servicekit.websession.session import SignedIn, WebSession
from servicekit.websession.views import error_page, session_urlpatterns, signed_in, wants_json

__all__ = [
    "SignedIn",
    "TokenPair",
    "WebSession",
    "error_page",
    "session_urlpatterns",
    "signed_in",
    "wants_json",
]
