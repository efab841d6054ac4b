"""``manage.py createadmin --email E --password P``: create or update an admin (idempotent).

``make createadmin EMAIL=… PASSWORD=…`` runs this through the service's entrypoint.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from identity.access.services import admin_user_ensure


class Command(BaseCommand):
    help = "Create or update an active, verified admin account in identity (idempotent)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--email", required=True)
        parser.add_argument("--password", required=True)

    def handle(self, *args, email: str, password: str, **options) -> None:
        try:
            user, created = admin_user_ensure(email=email, password=password)
        except ValidationError as exc:
            problems = "; ".join(message for messages in exc.message_dict.values() for message in messages)
            raise CommandError(problems) from None
        self.stdout.write(f"{'created' if created else 'updated'} admin {user.email} ({user.pk})")
