"""monitors 0011: a monitor that ran in one region (the old `region`) lists it in `regions`,
keeps its state as that region's, and its PeriodicTask sends the region along."""

import json

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from monitors.models import Monitor, RegionState

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_old_region_becomes_the_monitors_one_region():
    before = ("monitors", "0010_check_lease_task_id")
    executor = MigrationExecutor(connection)
    executor.migrate([before])
    old_apps = executor.loader.project_state([before]).apps
    User = old_apps.get_model("auth", "User")
    OldMonitor = old_apps.get_model("monitors", "Monitor")
    PeriodicTask = old_apps.get_model("django_celery_beat", "PeriodicTask")
    IntervalSchedule = old_apps.get_model("django_celery_beat", "IntervalSchedule")
    owner = User.objects.create(username="old")
    every = IntervalSchedule.objects.create(every=60, period="seconds")
    regional, plain = (
        OldMonitor.objects.create(
            owner=owner, name=name, url="https://example.com/", region=region, status="down",
            consecutive_failures=4,
            periodic_task=PeriodicTask.objects.create(
                name=f"monitor-check:{name}", task="monitors.run_check", interval=every,
                kwargs="{}", queue=f"checks.{region}" if region else "checks"))
        for name, region in (("eu", "eu-west"), ("plain", ""))
    )

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    migrated = Monitor.objects.get(pk=regional.pk)
    assert migrated.regions == ["eu-west"]
    state = RegionState.objects.get(monitor=migrated)
    assert (state.region, state.status, state.consecutive_failures) == ("eu-west", "down", 4)
    assert json.loads(migrated.periodic_task.kwargs) == {"regions": ["eu-west"]}
    assert Monitor.objects.get(pk=plain.pk).regions == []
    assert not RegionState.objects.filter(monitor_id=plain.pk).exists()
