from django.db import migrations, models


class Migration(migrations.Migration):
    # Apart from 0004's data update: PostgreSQL refuses to ALTER a table that has pending
    # trigger events from updates earlier in the same transaction.
    dependencies = [
        ("incidents", "0004_incident_started_at"),
    ]

    operations = [
        migrations.AlterField(
            model_name="incident",
            name="started_at",
            field=models.DateTimeField(
                blank=True, help_text="The time of the first failed check of the outage."
            ),
        ),
    ]
