from django.core.management.base import BaseCommand

from servicekit.events.combined import run_consumer_and_relay
from servicekit.events.process import stop_on_signals


class Command(BaseCommand):
    help = (
        "Run this service's consumer and relay in one process (a thread each, with its own "
        "database and broker connections); development's lighter alternative to the two processes."
    )

    def handle(self, *args, **options):
        run_consumer_and_relay(stop_on_signals())
