"""The pages the e-mailed links lead to: verify an address, choose a new password.

Identity owns the accounts; these pages only carry the link's token to identity's public API
(``POST /api/v1/auth/verify-email/``, ``POST /api/v1/auth/password-reset/confirm/``) through
the gateway, from the browser (``static/links/account.js``). No service calls another, and a
new password never passes through messaging. Opening a link changes nothing by itself (mail
scanners fetch links): the user confirms with the page's button.

The pages speak the browser's language (English or Spanish; ``?lang=`` overrides).
"""

from __future__ import annotations

import re

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.http import require_safe

# identity's public API, on the same origin (the gateway) as these pages.
VERIFY_EMAIL_API = "/api/v1/auth/verify-email/"
PASSWORD_RESET_CONFIRM_API = "/api/v1/auth/password-reset/confirm/"
# What identity's one-time tokens look like (URL-safe, at most 128 characters).
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,128}$")


@require_safe
def verify_email_page(request: HttpRequest) -> HttpResponse:
    return _page(request, "links/verify_email.html", api=VERIFY_EMAIL_API)


@require_safe
def reset_password_page(request: HttpRequest) -> HttpResponse:
    return _page(request, "links/reset_password.html", api=PASSWORD_RESET_CONFIRM_API)


def _page(request: HttpRequest, template: str, *, api: str) -> HttpResponse:
    token = request.GET.get("token", "")
    is_valid_link = bool(_TOKEN.match(token))
    language = _language(request)
    with translation.override(language):
        response = render(
            request,
            template,
            {"token": token if is_valid_link else "", "api": api, "language": language},
            status=200 if is_valid_link else 400,
        )
    # The token is a credential: keep the page out of caches.
    response["Cache-Control"] = "no-store"
    response["Content-Language"] = language
    return response


def _language(request: HttpRequest) -> str:
    """``?lang=`` when we ship it, else the best match for the browser's Accept-Language."""
    asked = request.GET.get("lang", "")
    if asked in {code for code, _ in settings.LANGUAGES}:
        return asked
    return translation.get_language_from_request(request)
