import json

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import Value
from django.db.models.functions import Concat
from django.test.utils import CaptureQueriesContext
from django_celery_beat.models import IntervalSchedule, PeriodicTask, PeriodicTasks

from monitors.models import Monitor
from monitors.schedule import CHECK_TASK, repair_schedules
from tests.factories import MonitorFactory

pytestmark = pytest.mark.django_db


def check_tasks():
    return PeriodicTask.objects.filter(task=CHECK_TASK)


def test_it_creates_one_periodic_task_per_monitor():
    monitor = MonitorFactory(interval_seconds=30, timeout_seconds=5)

    task = PeriodicTask.objects.get()
    assert monitor.periodic_task == task
    assert task.task == CHECK_TASK
    assert json.loads(task.args) == [monitor.pk]
    assert task.queue == "checks"
    assert (task.interval.every, task.interval.period) == (30, IntervalSchedule.SECONDS)
    assert task.expire_seconds == 30
    assert task.enabled
    hard, soft = json.loads(task.headers)["timelimit"]
    assert monitor.limits.request_deadline == 5 < soft < hard


def test_editing_the_interval_updates_the_same_task():
    monitor = MonitorFactory(interval_seconds=60)
    task_id = monitor.periodic_task_id

    monitor.interval_seconds = 120
    monitor.save()

    task = check_tasks().get()
    assert task.pk == task_id
    assert task.interval.every == 120
    assert task.expire_seconds == 120


def test_editing_tells_beat_that_schedules_changed():
    monitor = MonitorFactory()
    before = PeriodicTasks.last_change()

    monitor.interval_seconds = 90
    monitor.save()

    assert PeriodicTasks.last_change() > before


def test_pause_and_resume_toggle_the_task():
    monitor = MonitorFactory()

    monitor.pause()
    assert not check_tasks().get().enabled
    assert monitor.status == Monitor.Status.PAUSED

    monitor.resume()
    assert check_tasks().get().enabled
    assert monitor.status == Monitor.Status.UNKNOWN


def test_regions_and_timeout_follow_into_the_task():
    monitor = MonitorFactory(timeout_seconds=5)
    first_limits = json.loads(monitor.periodic_task.headers)["timelimit"]

    monitor.regions = ["eu-west", "us"]
    monitor.timeout_seconds = 20
    monitor.save()

    task = check_tasks().get()
    # One row for the monitor: our beat sends one message per region; a stock beat sends
    # this one to the first region's queue, whose worker fans it out.
    assert task.queue == "checks.eu-west"
    assert json.loads(task.kwargs) == {"regions": ["eu-west", "us"]}
    assert json.loads(task.headers)["timelimit"][1] > first_limits[1]


def test_deleting_a_monitor_deletes_its_task():
    monitor = MonitorFactory()
    monitor.delete()
    assert not check_tasks().exists()


def test_queryset_delete_also_deletes_tasks():
    MonitorFactory.create_batch(3)
    Monitor.objects.all().delete()
    assert not check_tasks().exists()


def test_a_rolled_back_save_leaves_no_task():
    with pytest.raises(RuntimeError), transaction.atomic():
        MonitorFactory()
        raise RuntimeError("the request failed after saving")

    assert not Monitor.objects.exists()
    assert not check_tasks().exists()


def test_saving_twice_never_duplicates():
    monitor = MonitorFactory()
    for _ in range(3):
        monitor.save()
    assert check_tasks().count() == 1


class TestRepair:
    def test_it_reports_nothing_when_all_is_in_order(self):
        MonitorFactory.create_batch(2)
        assert repair_schedules() == []

    def test_it_recreates_a_missing_task(self):
        monitor = MonitorFactory()
        PeriodicTask.objects.all().delete()  # SET_NULL clears the monitor's link

        problems = repair_schedules()

        assert len(problems) == 1 and "no schedule" in problems[0]
        monitor.refresh_from_db()
        assert monitor.periodic_task is not None
        assert check_tasks().count() == 1

    def test_it_fixes_a_task_edited_out_of_band(self):
        monitor = MonitorFactory(interval_seconds=60)
        PeriodicTask.objects.filter(pk=monitor.periodic_task_id).update(
            enabled=False, queue="elsewhere"
        )

        problems = repair_schedules()

        assert "out of date" in problems[0]
        task = check_tasks().get()
        assert task.enabled and task.queue == "checks"
        assert repair_schedules() == []

    def test_it_fixes_a_monitor_updated_with_queryset_update(self):
        monitor = MonitorFactory(interval_seconds=60)
        Monitor.objects.filter(pk=monitor.pk).update(interval_seconds=300)

        problems = repair_schedules()

        assert "interval" in problems[0]
        assert check_tasks().get().interval.every == 300

    def test_it_deletes_orphans(self):
        monitor = MonitorFactory()
        Monitor.objects.filter(pk=monitor.pk).update(periodic_task=None)
        PeriodicTask.objects.create(
            name="monitor-check:999999", task=CHECK_TASK,
            interval=IntervalSchedule.objects.create(every=5, period="seconds"),
        )

        problems = repair_schedules()

        assert any("no monitor, deleted" in line for line in problems)
        assert check_tasks().count() == 1
        monitor.refresh_from_db()
        assert monitor.periodic_task == check_tasks().get()

    def test_dry_run_changes_nothing(self):
        monitor = MonitorFactory()
        PeriodicTask.objects.filter(pk=monitor.periodic_task_id).update(enabled=False)

        problems = repair_schedules(fix=False)

        assert problems and problems[0].endswith("not fixed (dry run)")
        assert not check_tasks().get().enabled

    def test_the_command_reports_what_it_fixed(self, capsys):
        monitor = MonitorFactory()
        PeriodicTask.objects.filter(pk=monitor.periodic_task_id).update(enabled=False)

        call_command("repair_schedules")
        out = capsys.readouterr().out
        assert f"monitor {monitor.pk}" in out and "1 problem(s) fixed" in out

        call_command("repair_schedules")
        assert "All monitor schedules are in order." in capsys.readouterr().out

    def test_a_repaired_task_is_marked_changed_for_beat(self):
        monitor = MonitorFactory()
        PeriodicTask.objects.filter(pk=monitor.periodic_task_id).update(queue="elsewhere")
        PeriodicTasks.update_changed()
        marker = PeriodicTasks.last_change()
        stamped = check_tasks().get().date_changed

        repair_schedules()

        assert check_tasks().get().date_changed > stamped
        assert PeriodicTasks.last_change() > marker

    def test_it_works_through_several_batches_and_lists_monitors_by_name(self):
        monitors = [MonitorFactory(name=name) for name in ("e", "d", "c", "b", "a")]
        PeriodicTask.objects.filter(pk=monitors[0].periodic_task_id).update(enabled=False)
        Monitor.objects.filter(pk__in=[monitors[1].pk, monitors[4].pk]).update(
            interval_seconds=120
        )

        problems = repair_schedules(batch_size=2)

        assert [line.split("(")[1].split(")")[0] for line in problems] == ["a", "d", "e"]
        assert repair_schedules(fix=False) == []

    def test_its_queries_do_not_grow_with_the_number_of_monitors(
        self, django_assert_max_num_queries
    ):
        def break_every_schedule(interval: int) -> None:
            Monitor.objects.update(periodic_task=None, interval_seconds=interval)
            check_tasks().update(name=Concat(Value("stray-"), "name"))

        MonitorFactory.create_batch(5)
        break_every_schedule(120)
        with CaptureQueriesContext(connection) as five:
            repair_schedules()

        # 40: on SQLite a bulk insert of PeriodicTasks takes one statement per ~45 rows (its
        # limit on bound parameters), which is per batch, not per monitor.
        MonitorFactory.create_batch(35)
        break_every_schedule(180)
        with django_assert_max_num_queries(len(five)):
            problems = repair_schedules()

        assert len(problems) == 80  # 40 without a schedule, 40 stray tasks
        assert repair_schedules(fix=False) == []
        assert check_tasks().count() == 40

    def test_a_task_named_after_one_monitor_but_linked_to_another_is_sorted_out(self):
        first, second = MonitorFactory(name="first"), MonitorFactory(name="second")
        # By hand in the admin: the second monitor's task now carries the first's name, and
        # the first lost its own. The first comes first, and must not adopt the second's.
        PeriodicTask.objects.filter(pk=first.periodic_task_id).delete()
        PeriodicTask.objects.filter(pk=second.periodic_task_id).update(
            name=f"monitor-check:{first.pk}"
        )

        problems = repair_schedules(batch_size=1)

        assert len(problems) == 2
        assert repair_schedules(fix=False) == []
        assert check_tasks().count() == 2
