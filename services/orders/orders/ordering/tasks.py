"""Celery tasks of the ordering domain (idempotent, safe to retry, acks late)."""

from celery import shared_task

from orders.carts.services import cart_keys_prune
from orders.ordering.services import checkout_keys_prune, orders_expire_pending, orders_expire_unpaid


@shared_task(name="orders.ordering.expire_unpaid_orders", acks_late=True)
def expire_unpaid_orders_task() -> int:
    """Run by Celery beat every ORDER_EXPIRY_SWEEP_SECONDS: cancels confirmed orders not paid
    in time and pending orders catalog did not answer in time; returns how many."""
    return orders_expire_unpaid() + orders_expire_pending()


@shared_task(name="orders.ordering.prune_idempotency_keys", acks_late=True)
def prune_idempotency_keys_task() -> int:
    """Run by Celery beat hourly: deletes checkout and cart keys past
    ORDER_IDEMPOTENCY_KEY_RETENTION_HOURS; returns how many."""
    return checkout_keys_prune() + cart_keys_prune()
