"""The one-PeriodicTask-per-monitor mapping that lets django-celery-beat drive the checks."""

import json
from collections.abc import Sequence

from django.db import transaction
from django.db.models import CharField, OuterRef, Subquery, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask, PeriodicTasks

CHECK_TASK = "monitors.run_check"
TASK_NAME_PREFIX = "monitor-check:"


def task_name(monitor_id: int) -> str:
    return f"{TASK_NAME_PREFIX}{monitor_id}"


def interval_schedule(seconds: int) -> IntervalSchedule:
    # get_or_create can meet duplicates made by hand in the admin; any of them will do.
    schedule = IntervalSchedule.objects.filter(
        every=seconds, period=IntervalSchedule.SECONDS
    ).first()
    return schedule or IntervalSchedule.objects.create(
        every=seconds, period=IntervalSchedule.SECONDS
    )


def desired_fields(monitor) -> dict:
    limits = monitor.limits
    return {
        "name": task_name(monitor.pk),
        "task": CHECK_TASK,
        "args": json.dumps([monitor.pk]),
        # A heartbeat's deadline check is no probe that a duplicate delivery would repeat: it
        # looks more often than the interval, so the claim's duplicate test (half an interval
        # since the last result) must not turn it away.
        "kwargs": _kwargs(monitor),
        "queue": monitor.check_queue,
        "enabled": not monitor.is_paused,
        # A tick that waited longer than one interval is dropped: the next one is due anyway.
        "expire_seconds": monitor.schedule_seconds,
        # beat copies these into the message headers; "timelimit" is the header Celery
        # workers read for per-message (hard, soft) limits, so each monitor's limits follow
        # its own timeout rather than one ceiling for all.
        "headers": json.dumps({"timelimit": [limits.hard_time_limit, limits.soft_time_limit]}),
        "description": _description(monitor),
    }


def _kwargs(monitor) -> str:
    if monitor.kind == monitor.Kind.HEARTBEAT:
        return '{"scheduled": false}'
    if monitor.regions:
        # One row, one message per region: our beat sends each region its own (the scheduler's
        # GridEntry), a stock beat one message that the first region's worker fans out.
        return json.dumps({"regions": list(monitor.regions)})
    return "{}"


def _description(monitor) -> str:
    if monitor.kind == monitor.Kind.HEARTBEAT:
        return (f"Checks for a ping every {monitor.interval_seconds}s "
                f"(grace {monitor.grace_seconds}s).")
    where = f" from {', '.join(monitor.regions)}" if monitor.regions else ""
    return f"Checks {monitor.shown_url}{where} every {monitor.interval_seconds}s."


def differences(monitor, task: PeriodicTask) -> list[str]:
    wanted = desired_fields(monitor)
    changed = [field for field, value in wanted.items() if getattr(task, field) != value]
    schedule = task.interval
    if task.interval_id is None or (schedule.every, schedule.period) != (
        monitor.schedule_seconds,
        IntervalSchedule.SECONDS,
    ):
        changed.append("interval")
    if task.crontab_id or task.solar_id or task.clocked_id:
        changed.append("schedule kind")
    return changed


def sync_schedule(monitor) -> PeriodicTask:
    """Create or update the monitor's PeriodicTask to match it. Runs inside the save."""
    with transaction.atomic():
        task = monitor.periodic_task
        if task is None:
            # A task left behind under this name (by a crash or a hand edit) is adopted
            # rather than duplicated: the name is unique.
            task = PeriodicTask.objects.filter(name=task_name(monitor.pk)).first()
        if task is not None and not differences(monitor, task):
            if monitor.periodic_task_id != task.pk:
                _link(monitor, task)
            return task
        task = task or PeriodicTask()
        for field, value in desired_fields(monitor).items():
            setattr(task, field, value)
        task.interval = interval_schedule(monitor.schedule_seconds)
        task.crontab = task.solar = task.clocked = None
        # save() (not update()) so django-celery-beat bumps its change marker and beat reloads.
        task.save()
        if monitor.periodic_task_id != task.pk:
            _link(monitor, task)
        return task


def _link(monitor, task: PeriodicTask) -> None:
    type(monitor).objects.filter(pk=monitor.pk).update(periodic_task=task)
    monitor.periodic_task = task


def link_tasks_by_name(monitor_ids: Sequence[int]) -> None:
    """Point each monitor at the PeriodicTask named after it: one UPDATE per 500 monitors."""
    from .models import Monitor

    named_after = PeriodicTask.objects.filter(
        name=Concat(Value(TASK_NAME_PREFIX), Cast(OuterRef("pk"), CharField()))
    ).values("pk")[:1]
    # 500 stays under SQLite's 999 bound parameters per statement.
    for start in range(0, len(monitor_ids), 500):
        Monitor.objects.filter(pk__in=monitor_ids[start:start + 500]).update(
            periodic_task=Subquery(named_after)
        )


class _IntervalCache(dict):
    def __missing__(self, seconds: int) -> IntervalSchedule:
        self[seconds] = schedule = interval_schedule(seconds)
        return schedule


def repair_schedules(*, fix: bool = True, batch_size: int = 1000) -> list[str]:
    """Verify the monitor <-> PeriodicTask mapping; fix it unless fix=False. Returns a
    line per problem found (monitors by name, then orphaned tasks), empty when all is well.

    Works through the monitors a batch at a time: one read per batch, the comparison in
    Python and a bulk update of the stale tasks. Then, a batch at a time again, the monitors
    without a task: one read of left-behind tasks to adopt, a bulk insert of the rest and
    the links. Orphans go in one DELETE, and beat is told once. A few seconds at 10,000
    monitors, instead of a sync_schedule() per monitor.
    """
    from .models import Monitor

    found: list[tuple[str, int, str]] = []
    intervals = _IntervalCache()
    changed_any = False
    with transaction.atomic():
        monitors = Monitor.objects.select_related("periodic_task__interval").order_by("pk")
        missing: list[int] = []
        last_pk = 0
        while batch := list(monitors.filter(pk__gt=last_pk)[:batch_size]):
            last_pk = batch[-1].pk
            stale = []
            for monitor in batch:
                if monitor.periodic_task is None:
                    found.append((monitor.name, monitor.pk, "no schedule, created"))
                    missing.append(monitor.pk)
                elif changed := differences(monitor, monitor.periodic_task):
                    found.append((monitor.name, monitor.pk, (
                        f"schedule out of date ({', '.join(changed)}), updated"
                    )))
                    stale.append((monitor, monitor.periodic_task))
            if fix and stale:
                _update_tasks(stale, intervals)
                changed_any = True
        # Only now, with every linked task renamed after its own monitor, is a task found
        # under a missing monitor's name surely free to adopt.
        for start in range(0, len(missing) if fix else 0, batch_size):
            ids = missing[start:start + batch_size]
            _create_or_adopt_tasks(list(Monitor.objects.filter(pk__in=ids)), intervals)
            changed_any = True

        lines = [f"monitor {pk} ({name}): {what}" for name, pk, what in sorted(found)]
        linked = Monitor.objects.exclude(periodic_task=None).values("periodic_task_id")
        orphans = PeriodicTask.objects.filter(task=CHECK_TASK).exclude(pk__in=linked)
        lines += [
            f"periodic task {pk} ({name}): no monitor, deleted"
            for pk, name in orphans.order_by("pk").values_list("pk", "name")
        ]
        if fix and len(lines) > len(found):
            # One statement, without the collector's per-row pre_delete signal (each of
            # which would bump beat's marker): nothing references an orphan, by definition.
            orphans._raw_delete(orphans.db)
            changed_any = True
        if changed_any:
            PeriodicTasks.update_changed()
    if not fix:
        lines = [line.rsplit(", ", 1)[0] + ", not fixed (dry run)" for line in lines]
    return lines


def _apply_desired(monitor, task: PeriodicTask, intervals: _IntervalCache) -> None:
    """Set on `task` what sync_schedule() would save, including PeriodicTask.save()'s rule."""
    for field, value in desired_fields(monitor).items():
        setattr(task, field, value)
    task.interval = intervals[monitor.schedule_seconds]
    task.crontab = task.solar = task.clocked = None
    if not task.enabled:
        task.last_run_at = None
    # bulk_update skips auto_now; beat finds changed rows by this column.
    task.date_changed = timezone.now()


def _update_tasks(stale: list, intervals: _IntervalCache) -> None:
    """Bring (monitor, task) pairs up to date, writing only the columns that differ: a
    column written back unchanged could undo a run state beat saved meanwhile."""
    if not stale:
        return
    fields = {"date_changed"}
    for monitor, task in stale:
        for difference in differences(monitor, task):
            fields.update(_COLUMNS.get(difference, [difference]))
        _apply_desired(monitor, task, intervals)
        if not task.enabled:
            fields.add("last_run_at")
    PeriodicTask.objects.bulk_update([task for _, task in stale], sorted(fields))


_COLUMNS = {"schedule kind": ["crontab", "solar", "clocked"]}


def _create_or_adopt_tasks(missing: list, intervals: _IntervalCache) -> None:
    if not missing:
        return
    # A task left behind under a monitor's name (by a crash or a hand edit) is adopted
    # rather than duplicated, as sync_schedule() does: the name is unique.
    left_behind = {
        task.name: task
        for task in PeriodicTask.objects.select_related("interval").filter(
            name__in=[task_name(monitor.pk) for monitor in missing]
        )
    }
    to_update, to_create = [], []
    for monitor in missing:
        task = left_behind.get(task_name(monitor.pk))
        if task is None:
            task = PeriodicTask()
            _apply_desired(monitor, task, intervals)
            to_create.append(task)
        elif differences(monitor, task):
            to_update.append((monitor, task))
    _update_tasks(to_update, intervals)
    PeriodicTask.objects.bulk_create(to_create)
    link_tasks_by_name([monitor.pk for monitor in missing])
