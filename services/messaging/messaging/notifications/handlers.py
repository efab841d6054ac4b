"""Event handlers: identity's events keep the local copy of users and ask for account e-mails;
orders' and builds' events ask for theirs. Registered in ``messaging/handlers.py``, each with
the fields it reads; each runs in servicekit's inbox transaction."""

from __future__ import annotations

from messaging.notifications.models import NotificationKind as Kind
from messaging.notifications.services import (
    notification_request,
    recipient_deactivate,
    recipient_upsert,
)
from servicekit.events import Event


def _name(data: dict) -> str:
    return " ".join(part for part in (data.get("first_name"), data.get("last_name")) if part)


def _request(event: Event, kind: Kind, *, context: dict, **recipient: str | None) -> None:
    notification_request(event_id=event.id, event_type=event.type, kind=kind, context=context, **recipient)


# -- identity -------------------------------------------------------------------------------
def remember_user(event: Event) -> None:
    """identity.user.registered / .updated: the address, name and state to write to."""
    data = event.data
    recipient_upsert(
        user_id=data["user_id"],
        email=data["email"],
        occurred_at=event.occurred_at_datetime(),
        first_name=data.get("first_name"),
        last_name=data.get("last_name"),
        is_active=data.get("is_active"),
        language=data.get("language"),
    )


def forget_deactivated_user(event: Event) -> None:
    recipient_deactivate(user_id=event.data["user_id"], occurred_at=event.occurred_at_datetime())


def send_registration_emails(event: Event) -> None:
    """A new account: the verification link (unless already verified) and a welcome."""
    data = event.data
    remember_user(event)
    user = {"user_id": data["user_id"], "email": data["email"]}
    if data.get("verification_url") and not data.get("email_verified"):
        context = {
            "email": data["email"],
            "verification_url": data["verification_url"],
            "expires_at": data.get("verification_expires_at"),
        }
        _request(event, Kind.EMAIL_VERIFICATION, context=context, **user)
    _request(event, Kind.WELCOME, context={"email": data["email"]}, **user)


def send_verification_email(event: Event) -> None:
    data = event.data
    if data.get("verification_url"):
        context = {
            "email": data["email"],
            "verification_url": data["verification_url"],
            "expires_at": data.get("verification_expires_at"),
        }
        _request_for_account(event, Kind.EMAIL_VERIFICATION, context=context)


def send_password_reset_email(event: Event) -> None:
    data = event.data
    if data.get("reset_url"):
        context = {"reset_url": data["reset_url"], "expires_at": data.get("reset_expires_at")}
        _request_for_account(event, Kind.PASSWORD_RESET, context=context)


def _request_for_account(event: Event, kind: Kind, *, context: dict) -> None:
    """An account e-mail to the address, name and language the event names."""
    data = event.data
    _request(
        event,
        kind,
        context={**context, "name": _name(data)},
        user_id=data["user_id"],
        email=data["email"],
        language=data.get("language"),
    )


def send_registration_attempt_email(event: Event) -> None:
    """Someone registered with an address that has an account (identity answers as if new)."""
    data = event.data
    _request(
        event,
        Kind.REGISTRATION_ATTEMPT,
        context={"email": data["email"]},
        user_id=data["user_id"],
        email=data["email"],
    )


# -- orders ---------------------------------------------------------------------------------
ORDER_KINDS = {
    "orders.order.placed": Kind.ORDER_PLACED,
    "orders.order.confirmed": Kind.ORDER_CONFIRMED,
    "orders.order.paid": Kind.ORDER_PAID,
    "orders.order.shipped": Kind.ORDER_SHIPPED,
    "orders.order.rejected": Kind.ORDER_REJECTED,
    "orders.order.cancelled": Kind.ORDER_CANCELLED,
}


def send_order_email(event: Event) -> None:
    """Every order e-mail: the handler's reads decide what reaches the template."""
    data = event.data
    context = {key: value for key, value in data.items() if key != "user_id"}
    _request(event, ORDER_KINDS[event.type], context=context, user_id=data["user_id"])


# -- builds ---------------------------------------------------------------------------------
BUILD_KINDS = {
    "builds.build.failed": Kind.BUILD_FAILED,
    "builds.build.published": Kind.BUILD_PUBLISHED,
}


def send_build_email(event: Event) -> None:
    """To the build's creator, when an identity user created it (a CI token alone has no inbox)."""
    data = event.data
    user_id = data["creator"]["user_id"]
    if user_id is None:
        return
    _request(event, BUILD_KINDS[event.type], context={"build_id": data["build_id"]}, user_id=user_id)
