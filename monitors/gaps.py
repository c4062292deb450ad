"""Monitoring gaps: monitors that were not checked when they should have been.

A gap is our fault, not the target's (beat or the workers down, a queue backed up, no worker
for a region), so it is for operators: a log line, the admin's filter, the API's
`monitoring_gap_since`, and an email to the staff (ADMINS) for one that lasts over
GAP_STAFF_NOTICE. It never changes a monitor's status and never notifies its owner.

Two ways in: detect_gaps() (a task every 30 s) opens a gap for every monitor overdue now and
closes those checked since; note_late_check() records, already closed, a gap that a check
ends before the sweep saw it (a database restart of a few seconds).
"""

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import mail_admins
from django.db import connections, transaction
from django.utils import timezone

from .models import Monitor, MonitoringGap, _shifted

logger = logging.getLogger(__name__)

GAP_STAFF_NOTICE = timedelta(minutes=5)
NAMES_IN_A_LINE = 10


@dataclass
class GapSweep:
    opened: list[MonitoringGap] = field(default_factory=list)
    closed: int = 0
    told_staff: list[MonitoringGap] = field(default_factory=list)


def gap_started_at(monitor: Monitor) -> datetime | None:
    """When `monitor`'s next result was overdue: its last check, or its last change (a resume,
    an edit) if that came later, plus its allowance."""
    reference = max(filter(None, (monitor.last_checked_at, monitor.updated_at,
                                  monitor.created_at)), default=None)
    if reference is None:
        return None
    return reference + timedelta(seconds=monitor.gap_allowance_seconds)


def overdue_monitors(now: datetime):
    """Monitors checking now whose allowance has run out, in one statement: the same rule as
    Monitor.gap_allowance_seconds, in SQL."""
    connection = connections[Monitor.objects.db]
    heartbeat_wait = 2 * max(60, settings.UPTIME_MIN_INTERVAL_SECONDS)
    allowance = (
        f"CASE WHEN kind = '{Monitor.Kind.HEARTBEAT}' "
        f"THEN interval_seconds + grace_seconds + {int(heartbeat_wait)} "
        "ELSE 2 * interval_seconds + timeout_seconds END"
    )
    limit = _shifted(connection.vendor, "-", allowance)
    adapted = connection.ops.adapt_datetimefield_value(now)
    return Monitor.objects.filter(is_paused=False).extra(
        where=[f"COALESCE(last_checked_at, created_at) < {limit}", f"updated_at < {limit}"],
        params=[adapted, adapted],
    )


def detect_gaps(now: datetime | None = None) -> GapSweep:
    now = now or timezone.now()
    sweep = GapSweep()
    with transaction.atomic():
        overdue = {
            monitor.pk: monitor
            for monitor in overdue_monitors(now).only(
                "id", "name", "kind", "interval_seconds", "timeout_seconds", "grace_seconds",
                "last_checked_at", "created_at", "updated_at",
            )
        }
        open_gaps = MonitoringGap.objects.filter(ended_at__isnull=True)
        already_open = set(open_gaps.values_list("monitor_id", flat=True))
        sweep.opened = [
            MonitoringGap(monitor=monitor, started_at=gap_started_at(monitor))
            for pk, monitor in overdue.items() if pk not in already_open
        ]
        # ignore_conflicts: a gap opened meanwhile by another sweep stays the one.
        MonitoringGap.objects.bulk_create(sweep.opened, ignore_conflicts=True)
        sweep.closed = open_gaps.exclude(monitor_id__in=list(overdue)).update(ended_at=now)
        sweep.told_staff = _claim_staff_notice(now)
    if sweep.opened:
        logger.warning("monitoring gap: %d monitor(s) not checked on time: %s",
                       len(sweep.opened), _names(gap.monitor for gap in sweep.opened))
    if sweep.closed:
        logger.info("monitoring gap: %d monitor(s) checked again", sweep.closed)
    if sweep.told_staff:
        _tell_staff(sweep.told_staff, now)
    return sweep


def _claim_staff_notice(now: datetime) -> list[MonitoringGap]:
    due = MonitoringGap.objects.filter(
        ended_at__isnull=True, staff_notified_at__isnull=True,
        started_at__lte=now - GAP_STAFF_NOTICE,
    )
    ids = list(due.values_list("pk", flat=True))
    # Conditional, so two sweeps at once tell the staff once.
    MonitoringGap.objects.filter(pk__in=ids, staff_notified_at__isnull=True).update(
        staff_notified_at=now)
    return list(MonitoringGap.objects.filter(pk__in=ids, staff_notified_at=now)
                .select_related("monitor"))


def _tell_staff(gaps: list[MonitoringGap], now: datetime) -> None:
    lines = [
        f"- {gap.monitor.name} (id {gap.monitor_id}, every {gap.monitor.interval_seconds}s): "
        f"not checked since {gap.started_at:%Y-%m-%d %H:%M:%S} UTC "
        f"({int((now - gap.started_at).total_seconds() // 60)} min)"
        for gap in gaps
    ]
    body = (
        "These monitors have not been checked on time for over "
        f"{int(GAP_STAFF_NOTICE.total_seconds() // 60)} minutes. Their owners were not told: "
        "the monitors' status is unchanged. Look at beat, the checks workers (and the queue of "
        "each monitor's region) and the broker.\n\n" + "\n".join(lines) + "\n"
    )
    logger.error("monitoring gap over %s: %s", GAP_STAFF_NOTICE,
                 _names(gap.monitor for gap in gaps))
    mail_admins(f"{len(gaps)} monitor(s) not checked for over 5 minutes", body,
                fail_silently=True)


def note_late_check(monitor: Monitor, previous_checked_at: datetime | None,
                    checked_at: datetime) -> None:
    """Called as a result is recorded (inside its transaction): if the check before this one
    was longer ago than the allowance, the time between was a gap. It ends now; the sweep
    may already have opened it."""
    if previous_checked_at is None:
        return
    reference = max(filter(None, (previous_checked_at, monitor.updated_at)))
    started_at = reference + timedelta(seconds=monitor.gap_allowance_seconds)
    if checked_at <= started_at:
        return
    closed = MonitoringGap.objects.filter(monitor=monitor, ended_at__isnull=True).update(
        ended_at=checked_at)
    if not closed:
        MonitoringGap.objects.create(monitor=monitor, started_at=started_at, ended_at=checked_at)
    logger.warning("monitoring gap: %s was not checked for %.0f s", monitor.name,
                   (checked_at - reference).total_seconds())


def _names(monitors) -> str:
    names = [monitor.name for monitor in monitors]
    shown = ", ".join(names[:NAMES_IN_A_LINE])
    return shown + (f" and {len(names) - NAMES_IN_A_LINE} more" if len(names) > 10 else "")
