from django.db import migrations, models
from django.db.models import F


def started_when_opened(apps, schema_editor):
    # Incidents from before this field keep the figures people were shown for them: their
    # durations counted from opened_at.
    Incident = apps.get_model("incidents", "Incident")
    Incident.objects.filter(started_at__isnull=True).update(started_at=F("opened_at"))


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0003_newest_first_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="incident",
            name="started_at",
            field=models.DateTimeField(
                blank=True, null=True, help_text="The time of the first failed check of the outage."
            ),
        ),
        migrations.RunPython(started_when_opened, migrations.RunPython.noop),
    ]
