from django.db import migrations

# Beat's incremental refresh (monitors/scheduler.py) asks for the PeriodicTask rows changed
# since it last looked. Without an index that is a scan of every row on every edit: ~40 ms at
# 100,000 rows, most of what an edit costs the dispatch loop. django-celery-beat's table is not
# ours to model, so the index is plain SQL (the same statement on PostgreSQL and SQLite).
INDEX = "monitors_periodictask_date_changed"
TABLE = "django_celery_beat_periodictask"


class Migration(migrations.Migration):

    dependencies = [
        ("monitors", "0003_list_indexes"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.RunSQL(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON {TABLE} (date_changed)",
            f"DROP INDEX IF EXISTS {INDEX}",
        ),
    ]
