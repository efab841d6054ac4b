"""Celery tasks of the payments domain (idempotent, safe to retry, acks late)."""

from celery import shared_task

from orders.payments.providers import ProviderUnavailable
from orders.payments.refunds import refund_process, refunds_dispatch_stale


@shared_task(
    name="orders.payments.refund_process",
    acks_late=True,
    autoretry_for=(ProviderUnavailable,),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=10,
)
def refund_process_task(refund_id: str) -> str:
    return refund_process(refund_id=refund_id).status


@shared_task(name="orders.payments.refunds_dispatch_stale", acks_late=True)
def refunds_dispatch_stale_task() -> int:
    """Run by Celery beat: sends again the tasks of pending refunds whose task was lost."""
    return refunds_dispatch_stale()
