"""Celery tasks of the ordering domain (idempotent, safe to retry, acks late)."""

from celery import shared_task

from orders.ordering.services import orders_expire_unpaid


@shared_task(name="orders.ordering.expire_unpaid_orders", acks_late=True)
def expire_unpaid_orders_task() -> int:
    """Run by Celery beat every ORDER_EXPIRY_SWEEP_SECONDS."""
    return orders_expire_unpaid()
