import argparse
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from analytics.usage.services import usage_rollup


def day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date (YYYY-MM-DD)") from None


class Command(BaseCommand):
    help = (
        "Rebuild daily usage exactly from the raw events and request logs still kept, for the days "
        "from --since to --until (inclusive; default: every day with raw rows). Days whose raw rows "
        "retention dropped keep their numbers."
    )

    def add_arguments(self, parser):
        parser.add_argument("--since", type=day, help="first day, YYYY-MM-DD (UTC)")
        parser.add_argument("--until", type=day, help="last day, YYYY-MM-DD (UTC)")

    def handle(self, *args, since=None, until=None, **options):
        if since and until and since > until:
            raise CommandError("--since is after --until")
        result = usage_rollup(since=since, until=until)
        self.stdout.write(
            f"rebuilt {len(result.event_days)} days from events ({result.activity_rows} activity rows, "
            f"{result.revenue_rows} revenue rows) and {len(result.request_log_days)} days from request "
            f"logs ({result.request_rows} rows)"
        )
