"""An index on CheckResult.checked_at alone, for the hourly roll-up (monitors/rollups.py), which
reads one hour of every monitor's results: without it, each hour scans the whole table.

PostgreSQL gets a BRIN index: results are inserted roughly in checked_at order, so a block
range summary is enough, costs almost nothing per insert, and is a few hundred kilobytes at a
billion rows. SQLite, which has no BRIN, gets a B-tree. Neither is in the model's state (a
model's Meta.indexes cannot differ by database), so no later migration drops it.
"""

from django.db import migrations

INDEX = "monitors_checkresult_checked_at_range"


def create(apps, schema_editor):
    table = schema_editor.quote_name("monitors_checkresult")
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON {table} USING brin (checked_at) "
            "WITH (autosummarize = on)")
    else:
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {INDEX} ON {table} (checked_at)")


def drop(apps, schema_editor):
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):

    dependencies = [
        ("monitors", "0013_status_pages"),
    ]

    operations = [migrations.RunPython(create, drop)]
