"""Uptime and response-time figures over a time window, computed by the database.

A monitor checked every 10 seconds has about 260,000 results in 30 days; nothing here loads
them into Python. Uptime and the average are aggregates; the 95th percentile is the one row
at its rank when the window is ordered by response time (nearest-rank method), which works the
same on SQLite and PostgreSQL.
"""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Avg, Count, Q
from django.utils import timezone

from .models import CheckResult, Monitor
from .outcomes import Outcome

WINDOWS = {
    "last_24_hours": timedelta(hours=24),
    "last_7_days": timedelta(days=7),
    "last_30_days": timedelta(days=30),
}


@dataclass(frozen=True)
class WindowStats:
    since: datetime
    until: datetime
    checks: int
    up_checks: int
    # None when there was no check (or no response) in the window: unknown, not 0 or 100.
    uptime_percent: float | None
    average_response_ms: float | None
    p95_response_ms: int | None


def window_stats(monitor: Monitor, *, since: datetime, until: datetime) -> WindowStats:
    checks = CheckResult.objects.filter(
        monitor=monitor, checked_at__gt=since, checked_at__lte=until
    )
    totals = checks.aggregate(
        checks=Count("id"),
        up_checks=Count("id", filter=Q(outcome=Outcome.OK)),
        # Response times of every check that got a response, up or not: a slow 500 is slow.
        timed=Count("response_ms"),
        average_response_ms=Avg("response_ms"),
    )
    uptime = 100 * totals["up_checks"] / totals["checks"] if totals["checks"] else None
    average = totals["average_response_ms"]
    return WindowStats(
        since=since,
        until=until,
        checks=totals["checks"],
        up_checks=totals["up_checks"],
        uptime_percent=round(uptime, 3) if uptime is not None else None,
        average_response_ms=round(average, 1) if average is not None else None,
        p95_response_ms=percentile_response_ms(checks, 95, count=totals["timed"]),
    )


def percentile_response_ms(checks, percentile: int, *, count: int) -> int | None:
    """The nearest-rank percentile of response_ms among `checks`, given how many of them have a
    response time: the smallest value that at least `percentile`% of them do not exceed."""
    if count == 0:
        return None
    rank = math.ceil(percentile / 100 * count)
    # A slice, not an index: rows deleted since they were counted (history pruned, the
    # monitor deleted) must give an answer, not an IndexError.
    at_rank = (
        checks.exclude(response_ms=None)
        .order_by("response_ms")
        .values_list("response_ms", flat=True)[rank - 1 : rank]
    )
    return next(iter(at_rank), None)


def uptime_report(monitor: Monitor, *, now: datetime | None = None) -> dict[str, WindowStats]:
    """The figures over each of WINDOWS, ending now."""
    now = now or timezone.now()
    return {
        name: window_stats(monitor, since=now - length, until=now)
        for name, length in WINDOWS.items()
    }
