"""What each kind of e-mail says. Two templates lay every e-mail out (``message.txt`` and
``message.html`` under ``templates/notifications/email/``); this module fills them: subject,
paragraphs, an action link, a table of details. Strings are marked for translation and
built inside ``translation.override(language)`` (:mod:`messaging.notifications.rendering`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import formats
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from messaging.notifications.models import NotificationKind as Kind


@dataclass(frozen=True)
class Action:
    url: str
    label: str


@dataclass(frozen=True)
class EmailContent:
    subject: str
    paragraphs: list[str]
    action: Action | None = None
    details: list[tuple[str, str]] = field(default_factory=list)
    items: list[str] = field(default_factory=list)  # order lines


def email_content(kind: str, context: dict[str, Any]) -> EmailContent:
    return _BUILDERS[Kind(kind)](context)


# -- formatting ---------------------------------------------------------------------------
def order_reference(order_id: str) -> str:
    """A short reference people can read out: the first eight characters of the id."""
    return "#" + str(order_id).replace("-", "")[:8].upper()


def money(amount: Any, currency: str) -> str:
    try:
        value = Decimal(str(amount))
    except (InvalidOperation, ValueError):
        return f"{amount} {currency}".strip()
    return f"{formats.number_format(value, decimal_pos=2, use_l10n=True)} {currency}".strip()


def moment(value: Any) -> str:
    when = parse_datetime(value) if isinstance(value, str) else value
    if not isinstance(when, datetime):
        return ""
    return f"{formats.date_format(when, 'DATETIME_FORMAT', use_l10n=True)} UTC"


def _expiry(context: dict[str, Any], key: str) -> list[str]:
    when = moment(context.get(key))
    return [_("The link works once and expires on %(when)s.") % {"when": when}] if when else []


# -- identity -------------------------------------------------------------------------------
def _email_verification(context: dict[str, Any]) -> EmailContent:
    return EmailContent(
        subject=_("Confirm your e-mail address"),
        paragraphs=[
            _("Please confirm that %(email)s is your e-mail address.") % {"email": context.get("email", "")},
            *_expiry(context, "expires_at"),
            _("If you did not create an account, ignore this message: nothing will happen."),
        ],
        action=Action(context["verification_url"], _("Confirm my address")),
    )


def _welcome(context: dict[str, Any]) -> EmailContent:
    return EmailContent(
        subject=_("Welcome to the platform"),
        paragraphs=[
            _("Your account is ready."),
            _("Browse the catalog, place orders and follow them from your account."),
        ],
        action=Action(context["site_url"], _("Open the platform")),
    )


def _password_reset(context: dict[str, Any]) -> EmailContent:
    return EmailContent(
        subject=_("Reset your password"),
        paragraphs=[
            _("Someone, hopefully you, asked to reset the password of your account."),
            *_expiry(context, "expires_at"),
            _("If you did not ask for this, ignore this message: your password stays as it is."),
        ],
        action=Action(context["reset_url"], _("Choose a new password")),
    )


def _registration_attempt(context: dict[str, Any]) -> EmailContent:
    return EmailContent(
        subject=_("Someone tried to register with your address"),
        paragraphs=[
            _("Someone tried to create a new account with %(email)s, which already has an account.")
            % {"email": context.get("email", "")},
            _("If it was you, sign in instead, or reset your password if you forgot it."),
            _("If it was not you, nothing changed: no one gained access to your account."),
        ],
        action=Action(context["site_url"], _("Sign in")),
    )


# -- orders ---------------------------------------------------------------------------------
_CANCELLATION_REASONS: dict[str, Callable[[], str]] = {
    "customer": lambda: _("you cancelled it"),
    "staff": lambda: _("our staff cancelled it"),
    "expired": lambda: _("it was not paid in time"),
    "payment_failed": lambda: _("the payment failed too many times"),
    "stock_timeout": lambda: _("its stock could not be confirmed in time"),
}


def _order_details(context: dict[str, Any], amount_key: str = "total") -> list[tuple[str, str]]:
    details = [(_("Order"), order_reference(context["order_id"]))]
    if context.get(amount_key):
        details.append((_("Total"), money(context[amount_key], context.get("currency", ""))))
    return details


def _order_items(context: dict[str, Any]) -> list[str]:
    return [
        f"{line.get('quantity', 1)} × {line.get('name') or line.get('sku') or '—'}"
        for line in context.get("lines") or []
    ]


def _order_placed(context: dict[str, Any]) -> EmailContent:
    return EmailContent(
        subject=_("We received your order %(order)s") % {"order": order_reference(context["order_id"])},
        paragraphs=[_("Thank you for your order. We are checking that everything is in stock.")],
        details=_order_details(context),
        items=_order_items(context),
    )


def _order_confirmed(context: dict[str, Any]) -> EmailContent:
    due = moment(context.get("payment_due_at"))
    return EmailContent(
        subject=_("Your order %(order)s is confirmed") % {"order": order_reference(context["order_id"])},
        paragraphs=[
            _("Everything you ordered is reserved for you."),
            *([_("Please pay by %(when)s to keep it.") % {"when": due}] if due else []),
        ],
        details=_order_details(context),
    )


def _order_paid(context: dict[str, Any]) -> EmailContent:
    return EmailContent(
        subject=_("Payment received for order %(order)s") % {"order": order_reference(context["order_id"])},
        paragraphs=[_("We received your payment. We will let you know when your order ships.")],
        details=_order_details(context, amount_key="amount"),
    )


def _order_shipped(context: dict[str, Any]) -> EmailContent:
    details = _order_details(context)
    if context.get("carrier"):
        details.append((_("Carrier"), context["carrier"]))
    if context.get("tracking_number"):
        details.append((_("Tracking number"), context["tracking_number"]))
    return EmailContent(
        subject=_("Your order %(order)s has shipped") % {"order": order_reference(context["order_id"])},
        paragraphs=[_("Your order is on its way.")],
        details=details,
    )


def _order_rejected(context: dict[str, Any]) -> EmailContent:
    return EmailContent(
        subject=_("We could not accept your order %(order)s")
        % {"order": order_reference(context["order_id"])},
        paragraphs=[
            _(
                "Some of what you ordered is not available, so the order was not accepted and nothing was charged."
            ),
        ],
        details=[*_order_details(context), (_("Reason"), context.get("reason", ""))],
    )


def _order_cancelled(context: dict[str, Any]) -> EmailContent:
    reason = _CANCELLATION_REASONS.get(context.get("reason", ""))
    return EmailContent(
        subject=_("Your order %(order)s was cancelled") % {"order": order_reference(context["order_id"])},
        paragraphs=[
            _("Your order was cancelled because %(reason)s.") % {"reason": reason()}
            if reason
            else _("Your order was cancelled."),
            _("If you had paid, the payment is refunded."),
        ],
        details=_order_details(context),
    )


# -- builds ---------------------------------------------------------------------------------
def _build_failed(context: dict[str, Any]) -> EmailContent:
    return EmailContent(
        subject=_("Build %(build)s failed") % {"build": context["build_id"]},
        paragraphs=[_("Your build failed and was not published. Its log says why.")],
        details=[(_("Build"), str(context["build_id"]))],
    )


def _build_published(context: dict[str, Any]) -> EmailContent:
    return EmailContent(
        subject=_("Build %(build)s was published") % {"build": context["build_id"]},
        paragraphs=[_("Your build was published: users can install it now.")],
        details=[(_("Build"), str(context["build_id"]))],
    )


_BUILDERS: dict[Kind, Callable[[dict[str, Any]], EmailContent]] = {
    Kind.EMAIL_VERIFICATION: _email_verification,
    Kind.WELCOME: _welcome,
    Kind.PASSWORD_RESET: _password_reset,
    Kind.REGISTRATION_ATTEMPT: _registration_attempt,
    Kind.ORDER_PLACED: _order_placed,
    Kind.ORDER_CONFIRMED: _order_confirmed,
    Kind.ORDER_PAID: _order_paid,
    Kind.ORDER_SHIPPED: _order_shipped,
    Kind.ORDER_REJECTED: _order_rejected,
    Kind.ORDER_CANCELLED: _order_cancelled,
    Kind.BUILD_FAILED: _build_failed,
    Kind.BUILD_PUBLISHED: _build_published,
}
