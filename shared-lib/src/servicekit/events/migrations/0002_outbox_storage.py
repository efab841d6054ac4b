"""The outbox is a queue table: every row is inserted, updated twice and deleted later.

Leave room on each page so the claim's update can be HOT, and vacuum/analyze it early and
often, or dead index entries pile up under the relay's claim query between autovacuum runs.
"""

from django.db import migrations

OUTBOX_STORAGE = (
    "fillfactor = 80, autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 2000, "
    "autovacuum_vacuum_cost_delay = 0, autovacuum_analyze_scale_factor = 0, autovacuum_analyze_threshold = 2000"
)


class Migration(migrations.Migration):
    dependencies = [("servicekit_events", "0001_initial")]

    operations = [
        migrations.RunSQL(
            f"ALTER TABLE event_outbox SET ({OUTBOX_STORAGE})",
            "ALTER TABLE event_outbox RESET (fillfactor, autovacuum_vacuum_scale_factor, "
            "autovacuum_vacuum_threshold, autovacuum_vacuum_cost_delay, autovacuum_analyze_scale_factor, "
            "autovacuum_analyze_threshold)",
        )
    ]
