"""Celery tasks of the payments domain (idempotent, safe to retry, acks late)."""

from celery import shared_task

from orders.payments.providers import ProviderUnavailable
from orders.payments.refunds import refund_process


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
