from django.core.management.base import BaseCommand

from servicekit.events.process import stop_on_signals
from servicekit.events.relay import Relay


class Command(BaseCommand):
    help = "Publish committed outbox events to the broker (run one or more per service)."

    def handle(self, *args, **options):
        Relay().run(stop_on_signals())
