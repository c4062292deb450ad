from django.db import migrations, models
from django.db.models import F


def mark_pending(apps, schema_editor):
    # Monitors failing below their threshold kept the status they had before ("up",
    # "unknown"); from now on such a monitor is "pending" until its next check decides.
    Monitor = apps.get_model("monitors", "Monitor")
    Monitor.objects.filter(
        is_paused=False,
        consecutive_failures__gt=0,
        consecutive_failures__lt=F("failure_threshold"),
    ).exclude(status__in=["down", "paused"]).update(status="pending")


def unmark_pending(apps, schema_editor):
    # The old code has no pending; "unknown" until the next check says up or down.
    Monitor = apps.get_model("monitors", "Monitor")
    Monitor.objects.filter(status="pending").update(status="unknown")


class Migration(migrations.Migration):
    dependencies = [
        ("monitors", "0004_periodic_task_date_changed_index"),
    ]

    operations = [
        migrations.AlterField(
            model_name="monitor",
            name="status",
            field=models.CharField(
                choices=[
                    ("unknown", "Unknown"),
                    ("up", "Up"),
                    ("pending", "Pending"),
                    ("down", "Down"),
                    ("paused", "Paused"),
                ],
                default="unknown",
                max_length=10,
            ),
        ),
        migrations.RunPython(mark_pending, unmark_pending),
    ]
