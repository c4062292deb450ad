"""The one-PeriodicTask-per-monitor mapping that lets django-celery-beat drive the checks."""

import json

from django.db import transaction
from django_celery_beat.models import IntervalSchedule, PeriodicTask

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
        "kwargs": "{}",
        "queue": monitor.check_queue,
        "enabled": not monitor.is_paused,
        # A tick that waited longer than one interval is dropped: the next one is due anyway.
        "expire_seconds": monitor.interval_seconds,
        # beat copies these into the message headers; "timelimit" is the header Celery
        # workers read for per-message (hard, soft) limits, so each monitor's limits follow
        # its own timeout rather than one ceiling for all.
        "headers": json.dumps({"timelimit": [limits.hard_time_limit, limits.soft_time_limit]}),
        "description": f"Checks {monitor.url} every {monitor.interval_seconds}s.",
    }


def differences(monitor, task: PeriodicTask) -> list[str]:
    wanted = desired_fields(monitor)
    changed = [field for field, value in wanted.items() if getattr(task, field) != value]
    schedule = task.interval
    if task.interval_id is None or (schedule.every, schedule.period) != (
        monitor.interval_seconds,
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
        task.interval = interval_schedule(monitor.interval_seconds)
        task.crontab = task.solar = task.clocked = None
        # save() (not update()) so django-celery-beat bumps its change marker and beat reloads.
        task.save()
        if monitor.periodic_task_id != task.pk:
            _link(monitor, task)
        return task


def _link(monitor, task: PeriodicTask) -> None:
    type(monitor).objects.filter(pk=monitor.pk).update(periodic_task=task)
    monitor.periodic_task = task


def repair_schedules(*, fix: bool = True) -> list[str]:
    """Verify the monitor <-> PeriodicTask mapping; fix it unless fix=False. Returns a
    line per problem found, empty when all is well."""
    from .models import Monitor

    problems: list[str] = []
    with transaction.atomic():
        for monitor in Monitor.objects.select_related("periodic_task__interval"):
            task = monitor.periodic_task
            if task is None:
                problems.append(f"monitor {monitor.pk} ({monitor.name}): no schedule, created")
            else:
                changed = differences(monitor, task)
                if not changed:
                    continue
                problems.append(
                    f"monitor {monitor.pk} ({monitor.name}): schedule out of date "
                    f"({', '.join(changed)}), updated"
                )
            if fix:
                sync_schedule(monitor)

        linked = Monitor.objects.exclude(periodic_task=None).values("periodic_task_id")
        orphans = PeriodicTask.objects.filter(task=CHECK_TASK).exclude(pk__in=linked)
        for task in orphans:
            problems.append(f"periodic task {task.pk} ({task.name}): no monitor, deleted")
        if fix:
            orphans.delete()
    if not fix:
        problems = [line.rsplit(", ", 1)[0] + ", not fixed (dry run)" for line in problems]
    return problems
