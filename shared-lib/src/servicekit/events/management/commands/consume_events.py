from django.core.management.base import BaseCommand

from servicekit.events.consumer import Consumer
from servicekit.events.process import stop_on_signals


class Command(BaseCommand):
    help = "Consume this service's event queue and run its registered handlers."

    def handle(self, *args, **options):
        Consumer().run(stop_on_signals())
