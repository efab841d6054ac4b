"""The event store: a table partitioned by day of ``occurred_at`` (Django cannot make one, so
the database gets hand-written SQL while Django's state gets the model). Partitions are made
by ``analytics.partitions``."""

import django.db.models.functions.datetime
from django.db import migrations, models

CREATE = """
CREATE TABLE analytics_event (
    event_id uuid NOT NULL,
    occurred_at timestamptz NOT NULL,
    type text NOT NULL,
    version integer NOT NULL,
    subject text NOT NULL,
    producer text NOT NULL,
    correlation_id text NOT NULL,
    causation_id text NOT NULL,
    payload jsonb NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (event_id, occurred_at)
) PARTITION BY RANGE (occurred_at);
CREATE INDEX analytics_event_type_time ON analytics_event (type, occurred_at);
CREATE INDEX analytics_event_type_subject ON analytics_event (type, subject);
"""


class Migration(migrations.Migration):
    initial = True

    dependencies = []

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunSQL(CREATE, "DROP TABLE analytics_event")],
            state_operations=[
                migrations.CreateModel(
                    name="StoredEvent",
                    fields=[
                        (
                            "pk",
                            models.CompositePrimaryKey(
                                "event_id",
                                "occurred_at",
                                blank=True,
                                editable=False,
                                primary_key=True,
                                serialize=False,
                            ),
                        ),
                        ("event_id", models.UUIDField()),
                        ("occurred_at", models.DateTimeField()),
                        ("type", models.TextField()),
                        ("version", models.IntegerField()),
                        ("subject", models.TextField()),
                        ("producer", models.TextField()),
                        (
                            "correlation_id",
                            models.TextField(blank=True, help_text="Empty: the envelope had none."),
                        ),
                        (
                            "causation_id",
                            models.TextField(blank=True, help_text="Empty: the envelope had none."),
                        ),
                        ("payload", models.JSONField()),
                        ("received_at", models.DateTimeField(db_default=django.db.models.functions.datetime.Now())),
                    ],
                    options={
                        "db_table": "analytics_event",
                        "indexes": [
                            models.Index(fields=["type", "occurred_at"], name="analytics_event_type_time"),
                            models.Index(fields=["type", "subject"], name="analytics_event_type_subject"),
                        ],
                    },
                ),
            ],
        ),
    ]
