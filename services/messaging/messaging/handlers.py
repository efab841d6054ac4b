"""The messaging service's event subscriptions: the one explicit registry (event type → handler).

``reads`` lists the payload fields each handler uses; the contract test checks them against
the producer's schema, and the handler sees only those fields. Each handler runs in
servicekit's inbox transaction, and each e-mail is a row unique per (event, kind), so a
redelivered event sends nothing twice.
"""

from messaging.notifications import handlers as notify
from servicekit.adminauth.handlers import SHADOW_USER_HANDLERS
from servicekit.events import BUILTIN_HANDLERS, subscribe

USER = ["user_id", "email", "first_name?", "last_name?", "language?", "is_active"]
ORDER = ["order_id", "user_id"]

HANDLERS = [
    *BUILTIN_HANDLERS,
    *SHADOW_USER_HANDLERS,  # staff shadow users of this service's admin follow identity
    # identity: the local copy of users, and the account e-mails.
    subscribe(
        "identity.user.registered",
        notify.send_registration_emails,
        reads=[*USER, "email_verified", "verification_url", "verification_expires_at"],
    ),
    subscribe("identity.user.updated", notify.remember_user, reads=USER),
    subscribe("identity.user.deactivated", notify.forget_deactivated_user, reads=["user_id"]),
    subscribe(
        "identity.user.email_verification_requested",
        notify.send_verification_email,
        reads=[
            "user_id",
            "email",
            "first_name?",
            "last_name?",
            "language?",
            "verification_url",
            "verification_expires_at",
        ],
    ),
    subscribe(
        "identity.user.password_reset_requested",
        notify.send_password_reset_email,
        reads=["user_id", "email", "first_name?", "language?", "reset_url", "reset_expires_at"],
    ),
    # Someone registered with the address of an account (identity answers as if it were new).
    subscribe(
        "identity.user.registration_attempted",
        notify.send_registration_attempt_email,
        reads=["user_id", "email"],
    ),
    # orders: one e-mail per step of the order's life.
    subscribe(
        "orders.order.placed",
        notify.send_order_email,
        reads=[*ORDER, "total", "currency", "lines[].name?", "lines[].sku?", "lines[].quantity"],
    ),
    subscribe(
        "orders.order.confirmed",
        notify.send_order_email,
        reads=[*ORDER, "total", "currency", "payment_due_at"],
    ),
    subscribe("orders.order.paid", notify.send_order_email, reads=[*ORDER, "amount", "currency"]),
    subscribe(
        "orders.order.shipped", notify.send_order_email, reads=[*ORDER, "carrier?", "tracking_number?"]
    ),
    subscribe("orders.order.rejected", notify.send_order_email, reads=[*ORDER, "reason"]),
    subscribe("orders.order.cancelled", notify.send_order_email, reads=[*ORDER, "reason"]),
    subscribe("builds.build.failed", notify.send_build_email, reads=["build_id", "creator.user_id"]),
    subscribe("builds.build.published", notify.send_build_email, reads=["build_id", "creator.user_id"]),
]

# Handlers written for events their producers do not publish yet; each joins HANDLERS when
# its schema lands in contracts/events/ (tests/handlers/test_awaiting_producers.py says when).
AWAITING_PRODUCERS: list = []
