import json

import pytest
from django_celery_beat.models import PeriodicTask, PeriodicTasks

from monitors.bulk import create_monitors
from monitors.models import Monitor, RegionState
from monitors.schedule import CHECK_TASK, differences, repair_schedules
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def unsaved(owner, count: int, **fields) -> list[Monitor]:
    return [
        Monitor(owner=owner, name=f"bulk {n}", url=f"https://example.com/{n}", **fields)
        for n in range(count)
    ]


def test_each_monitor_owns_the_task_sync_schedule_would_build():
    owner = UserFactory()
    monitors = unsaved(owner, 600, interval_seconds=60) + unsaved(
        owner, 400, interval_seconds=300, timeout_seconds=20, regions=["eu-west", "us"]
    )

    created = create_monitors(monitors)

    assert Monitor.objects.count() == PeriodicTask.objects.filter(task=CHECK_TASK).count() == 1000
    stored = Monitor.objects.select_related("periodic_task__interval")
    assert all(monitor.periodic_task is not None for monitor in stored)
    assert all(differences(monitor, monitor.periodic_task) == [] for monitor in stored)
    assert {monitor.pk for monitor in created} == {monitor.pk for monitor in stored}
    assert repair_schedules(fix=False) == []
    assert RegionState.objects.count() == 800


def test_the_tasks_carry_the_monitor_ids():
    (monitor,) = create_monitors(unsaved(UserFactory(), 1, regions=["eu-west"]))

    task = PeriodicTask.objects.get(monitor=monitor)
    assert task.name == f"monitor-check:{monitor.pk}"
    assert json.loads(task.args) == [monitor.pk]
    assert task.queue == "checks.eu-west"


def test_a_paused_monitor_gets_a_disabled_task_and_the_paused_status():
    (monitor,) = create_monitors(unsaved(UserFactory(), 1, is_paused=True))

    monitor.refresh_from_db()
    assert monitor.status == Monitor.Status.PAUSED
    assert not monitor.periodic_task.enabled


def test_it_tells_beat_once_that_schedules_changed():
    PeriodicTasks.update_changed()
    before = PeriodicTasks.last_change()

    create_monitors(unsaved(UserFactory(), 3))

    assert PeriodicTasks.last_change() > before


def test_it_publishes_nothing_per_monitor(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        create_monitors(unsaved(UserFactory(), 5))

    assert callbacks == []


def test_monitors_created_in_bulk_behave_like_saved_ones():
    (monitor,) = create_monitors(unsaved(UserFactory(), 1, interval_seconds=60))

    monitor.interval_seconds = 120
    monitor.save()
    monitor.delete()

    assert not PeriodicTask.objects.filter(task=CHECK_TASK).exists()


def test_nothing_given_creates_nothing():
    assert create_monitors([]) == []
    assert not Monitor.objects.exists()
