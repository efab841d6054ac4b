"""Rendering an e-mail in its recipient's language: subject, plain text and HTML."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from messaging.notifications.content import email_content
from messaging.notifications.models import SECURITY_KINDS

TEXT_TEMPLATE = "notifications/email/message.txt"
HTML_TEMPLATE = "notifications/email/message.html"
MAX_SUBJECT_LENGTH = 255


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str
    language: str


def supported_language(language: str | None) -> str:
    """``language`` if we ship it (``es-MX`` counts as ``es``), else the default."""
    shipped = {code for code, _ in settings.LANGUAGES}
    base = (language or "").lower().replace("_", "-").split("-")[0]
    return base if base in shipped else settings.MESSAGING["DEFAULT_LANGUAGE"]


def render_email(
    *, kind: str, context: dict[str, Any], language: str | None, name: str = ""
) -> RenderedEmail:
    language = supported_language(language)
    with translation.override(language):
        content = email_content(kind, {"site_url": settings.MESSAGING["SITE_URL"], **context})
        template_context = {
            "content": content,
            "name": name,
            "is_security": kind in SECURITY_KINDS,
            "site_url": settings.MESSAGING["SITE_URL"],
            "language": language,
        }
        subject = " ".join(content.subject.split())[:MAX_SUBJECT_LENGTH]  # one line, always
        return RenderedEmail(
            subject=subject,
            text=render_to_string(TEXT_TEMPLATE, template_context).strip() + "\n",
            html=render_to_string(HTML_TEMPLATE, template_context),
            language=language,
        )
