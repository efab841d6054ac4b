import json

from django.core.management.base import BaseCommand, CommandError

from servicekit.events.conf import events_conf
from servicekit.events.dlq import DeadLetter, DeadLetterQueue

SHOW_BODY_CHARS = 4000


class Command(BaseCommand):
    help = "Inspect and act on this service's dead-letter queue: list, show, replay, purge."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        actions.add_parser("list", help="one line per dead letter")
        show = actions.add_parser("show", help="envelope, headers and error of one dead letter")
        show.add_argument("event_id")
        for name, verb in (("replay", "send back to the service's queue"), ("purge", "delete for good")):
            action = actions.add_parser(name, help=f"{verb}: the given event ids, or --all")
            action.add_argument("event_ids", nargs="*")
            action.add_argument("--all", action="store_true", help=f"{verb} every dead letter")

    def handle(self, *args, action, **options):
        conf = events_conf()
        dlq = DeadLetterQueue(conf)
        if action == "list":
            messages = dlq.messages()
            for message in messages:
                self.stdout.write(message.summary())
            self.stdout.write(f"{len(messages)} dead letter(s) in {conf.dead_letter_queue}")
        elif action == "show":
            found = [m for m in dlq.messages() if m.event_id == options["event_id"]]
            if not found:
                raise CommandError(f"no dead letter with event id {options['event_id']}")
            message = found[0]
            self.stdout.write(_shown_body(message))
            headers = {k: v for k, v in message.headers.items() if k != "x-servicekit-error"}
            self.stdout.write(f"headers: {json.dumps(headers, indent=2, default=str)}")
            self.stdout.write(f"error:\n{message.error}")
        else:
            if not options["event_ids"] and not options["all"]:
                raise CommandError(f"{action}: give event ids, or --all")
            chosen = None if options["all"] else options["event_ids"]
            done = dlq.replay(chosen) if action == "replay" else dlq.purge(chosen)
            past = {"replay": "replayed", "purge": "purged"}[action]
            for message in done:
                self.stdout.write(f"{past} {message.event_id}")
            self.stdout.write(f"{len(done)} dead letter(s) {past}")


def _shown_body(message: DeadLetter) -> str:
    """The envelope, pretty-printed; a malformed letter's raw body, cut to a readable length."""
    if message.event is not None:
        try:
            return json.dumps(message.event.to_dict(), indent=2)
        except (ValueError, RecursionError):
            pass
    body = message.body.decode(errors="replace")
    if len(body) > SHOW_BODY_CHARS:
        body = f"{body[:SHOW_BODY_CHARS]}… ({len(message.body)} bytes in all)"
    return f"(not an event envelope) {body}"
