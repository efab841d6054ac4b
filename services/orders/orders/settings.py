"""The orders service's settings: servicekit's base (what every service shares) plus its own."""

from servicekit.settings import refuse_insecure_secrets
from servicekit.settings.base import *
from servicekit.settings.base import DJANGO_ENV, INSTALLED_APPS, SPECTACULAR_SETTINGS, env

INSTALLED_APPS = [
    *INSTALLED_APPS,
    "orders",
    "orders.products",
    "orders.carts",
    "orders.ordering",
    "orders.payments",
]

DEV_WEBHOOK_SECRET = "dev-insecure-payment-webhook-secret"

# The orders service's own knobs (documented in .env.example).
ORDERS = {
    # Cart limits: quantity bounds per line and how many distinct products a cart may hold.
    "CART_MAX_LINE_QUANTITY": env.int("CART_MAX_LINE_QUANTITY", default=99),
    "CART_MAX_LINES": env.int("CART_MAX_LINES", default=50),
    # A confirmed (stock reserved) order not paid within this time is cancelled ("expired")
    # and its stock released; the sweep runs every ORDER_EXPIRY_SWEEP_SECONDS under Celery beat.
    "PAYMENT_TIMEOUT_MINUTES": env.int("ORDER_PAYMENT_TIMEOUT_MINUTES", default=30),
    "EXPIRY_SWEEP_SECONDS": env.int("ORDER_EXPIRY_SWEEP_SECONDS", default=60),
    # A pending order whose stock answer from catalog has not arrived this long after it was
    # placed is cancelled ("stock_timeout") by the same sweep; catalog releases anything it
    # reserves late. 0 turns this off.
    "PENDING_TIMEOUT_SECONDS": env.int("ORDER_PENDING_TIMEOUT_SECONDS", default=15 * 60),
    # Idempotency-Keys of checkout and of adds to the cart older than this are deleted (hourly,
    # in batches); reusing a pruned key checks out (or adds) again. 0 keeps them forever.
    "IDEMPOTENCY_KEY_RETENTION_HOURS": env.int("ORDER_IDEMPOTENCY_KEY_RETENTION_HOURS", default=48),
    # After this many failed payment attempts a confirmed order is cancelled ("payment_failed").
    "MAX_PAYMENT_ATTEMPTS": env.int("ORDER_MAX_PAYMENT_ATTEMPTS", default=3),
    # Payment providers that may be used, and the one used when a request names none. The
    # built-in "test" provider (test card numbers) is off in production unless listed here.
    "PAYMENT_PROVIDERS": env.list(
        "PAYMENT_PROVIDERS",
        default=[] if DJANGO_ENV == "production" else ["test"],
    ),
    "PAYMENT_DEFAULT_PROVIDER": env.str("PAYMENT_DEFAULT_PROVIDER", default="test"),
    # Shared secret for provider webhooks (HMAC-SHA256) and the accepted clock skew.
    "PAYMENT_WEBHOOK_SECRET": env.str("PAYMENT_WEBHOOK_SECRET", default=DEV_WEBHOOK_SECRET),
    "PAYMENT_WEBHOOK_TOLERANCE_SECONDS": env.int("PAYMENT_WEBHOOK_TOLERANCE_SECONDS", default=300),
    # The platform's public address (the gateway): the test provider's 3-D Secure page,
    # SITE_URL/payments/3ds/<provider payment id>/, is served there.
    "SITE_URL": env.str("SITE_URL", default="http://localhost:8080"),
    # A pending refund never asked for this long after it was recorded has lost its task (the
    # broker was down): beat's orders.payments.refunds_dispatch_stale sends it again.
    "DISPATCH_STALE_AFTER_SECONDS": 30,
    # Where `manage.py products_rebuild` reads catalog's internal product export.
    "CATALOG_INTERNAL_URL": env.str("CATALOG_INTERNAL_URL", default="http://127.0.0.1:8002"),
}

# Name the shared enums in the OpenAPI schema (several fields reuse them).
SPECTACULAR_SETTINGS = {
    **SPECTACULAR_SETTINGS,
    "ENUM_NAME_OVERRIDES": {
        "OrderStatusEnum": "orders.ordering.models.OrderStatus",
        "PaymentStatusEnum": "orders.payments.models.PaymentStatus",
        "CancellationReasonEnum": "orders.ordering.models.CancellationReason",
    },
}

# Celery beat (the orders-beat process): cancel confirmed orders whose payment is overdue and
# pending orders catalog never answered; prune old checkout and cart idempotency keys; send the
# tasks of refunds lost to a broker outage.
_PRUNE_KEYS_EVERY_SECONDS = 3600.0
_DISPATCH_STALE_EVERY_SECONDS = 15.0
CELERY_BEAT_SCHEDULE = {
    "orders.expire-unpaid-orders": {
        "task": "orders.ordering.expire_unpaid_orders",
        "schedule": float(ORDERS["EXPIRY_SWEEP_SECONDS"]),
        "options": {"expires": float(ORDERS["EXPIRY_SWEEP_SECONDS"])},  # a missed sweep is not queued up
    },
    "orders.prune-idempotency-keys": {
        "task": "orders.ordering.prune_idempotency_keys",
        "schedule": _PRUNE_KEYS_EVERY_SECONDS,
        "options": {"expires": _PRUNE_KEYS_EVERY_SECONDS},
    },
    "orders.refunds-dispatch-stale": {
        "task": "orders.payments.refunds_dispatch_stale",
        "schedule": _DISPATCH_STALE_EVERY_SECONDS,
        "options": {"expires": _DISPATCH_STALE_EVERY_SECONDS},
    },
}

if DJANGO_ENV == "production":
    refuse_insecure_secrets({"PAYMENT_WEBHOOK_SECRET": ORDERS["PAYMENT_WEBHOOK_SECRET"]})
