"""Celery tasks of the analytics service (idempotent, safe to retry, acks late)."""

from celery import shared_task

from analytics.maintenance import partitions_create_ahead, retention_apply


@shared_task(name="analytics.create_partitions", acks_late=True)
def create_partitions_task() -> dict[str, list[str]]:
    """Run by Celery beat hourly: daily partitions for today and the days ahead."""
    return _as_text(partitions_create_ahead())


@shared_task(name="analytics.apply_retention", acks_late=True)
def apply_retention_task() -> dict[str, list[str]]:
    """Run by Celery beat daily: drops raw partitions older than the retention."""
    return _as_text(retention_apply())


def _as_text(days_by_table):
    return {table: [day.isoformat() for day in days] for table, days in days_by_table.items()}
