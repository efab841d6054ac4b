"""Request logs: a table partitioned by day of ``occurred_at`` (hand-written SQL for the
database, the model for Django's state; partitions by ``analytics.partitions``), and the
ingester's cursor."""

from django.db import migrations, models

CREATE = """
CREATE SEQUENCE analytics_request_log_id_seq AS bigint;
CREATE TABLE analytics_request_log (
    id bigint NOT NULL DEFAULT nextval('analytics_request_log_id_seq'),
    occurred_at timestamptz NOT NULL,
    service text NOT NULL,
    method text NOT NULL,
    route text NOT NULL,
    status smallint NOT NULL,
    error_code text NOT NULL,
    duration_ms double precision NOT NULL,
    user_id uuid NULL,
    client_ip inet NULL,
    request_id text NOT NULL,
    PRIMARY KEY (id, occurred_at)
) PARTITION BY RANGE (occurred_at);
ALTER SEQUENCE analytics_request_log_id_seq OWNED BY analytics_request_log.id;
CREATE INDEX analytics_request_log_time ON analytics_request_log (occurred_at);
CREATE INDEX analytics_request_log_route ON analytics_request_log (service, route, occurred_at);
CREATE INDEX analytics_request_log_user ON analytics_request_log (user_id, occurred_at) WHERE user_id IS NOT NULL;
"""


class Migration(migrations.Migration):
    initial = True

    dependencies = []

    operations = [
        migrations.CreateModel(
            name="StreamCursor",
            fields=[
                ("stream", models.TextField(primary_key=True, serialize=False)),
                ("last_id", models.TextField(default="0-0")),
                ("updated_at", models.DateTimeField(auto_now=True)),
            ],
            options={
                "db_table": "analytics_request_log_cursor",
            },
        ),
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunSQL(CREATE, "DROP TABLE analytics_request_log")],
            state_operations=[
                migrations.CreateModel(
                    name="RequestLog",
                    fields=[
                        (
                            "pk",
                            models.CompositePrimaryKey(
                                "id", "occurred_at", blank=True, editable=False, primary_key=True, serialize=False
                            ),
                        ),
                        ("id", models.BigIntegerField()),
                        ("occurred_at", models.DateTimeField(help_text="When the request arrived (UTC).")),
                        ("service", models.TextField()),
                        ("method", models.TextField()),
                        (
                            "route",
                            models.TextField(help_text="The URL pattern, not the path: /api/v1/orders/<uuid:pk>/."),
                        ),
                        ("status", models.SmallIntegerField()),
                        (
                            "error_code",
                            models.TextField(blank=True, help_text="The error envelope's code; empty for a success."),
                        ),
                        ("duration_ms", models.FloatField()),
                        ("user_id", models.UUIDField(null=True)),
                        ("client_ip", models.GenericIPAddressField(null=True)),
                        ("request_id", models.TextField()),
                    ],
                    options={
                        "db_table": "analytics_request_log",
                        "indexes": [
                            models.Index(fields=["occurred_at"], name="analytics_request_log_time"),
                            models.Index(fields=["service", "route", "occurred_at"], name="analytics_request_log_route"),
                            models.Index(
                                condition=models.Q(("user_id__isnull", False)),
                                fields=["user_id", "occurred_at"],
                                name="analytics_request_log_user",
                            ),
                        ],
                    },
                ),
            ],
        ),
    ]
