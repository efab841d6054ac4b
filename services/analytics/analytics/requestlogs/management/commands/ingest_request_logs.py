from django.core.management.base import BaseCommand

from analytics.requestlogs.ingester import run
from servicekit.events.process import stop_on_signals


class Command(BaseCommand):
    help = "Move the platform's request logs from their Redis stream into Postgres (a long-lived process)."

    def handle(self, *args, **options):
        run(stop_on_signals())
