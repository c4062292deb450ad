"""Uptime and response-time figures over a time window.

They read whole hours and days from rollups and only the partial edges from raw results
(monitors/rollups.py), so a 365-day figure costs about as much as a 24-hour one. Percentiles
come from the rollups' latency histogram: the upper bound of the bucket that holds the
nearest-rank value, capped at the largest response time.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from . import rollups
from .models import Monitor

WINDOWS = {
    "last_24_hours": timedelta(hours=24),
    "last_7_days": timedelta(days=7),
    "last_30_days": timedelta(days=30),
    "last_90_days": timedelta(days=90),
    "last_365_days": timedelta(days=365),
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

    @classmethod
    def of(cls, summary: rollups.Summary, *, since: datetime, until: datetime) -> "WindowStats":
        return cls(since=since, until=until, checks=summary.checks, up_checks=summary.up_checks,
                   uptime_percent=summary.uptime_percent,
                   average_response_ms=summary.average_response_ms,
                   p95_response_ms=summary.percentile_ms(95))


def window_stats(monitor: Monitor, *, since: datetime, until: datetime,
                 region: str | None = None, done: rollups.Rolled | None = None) -> WindowStats:
    summary = rollups.summaries([monitor.pk], since=since, until=until, region=region,
                                done=done)[monitor.pk]
    return WindowStats.of(summary, since=since, until=until)


def uptime_report(monitor: Monitor, *, now: datetime | None = None,
                  region: str | None = None, windows=WINDOWS) -> dict[str, WindowStats]:
    """The figures over each of `windows`, ending now: of one region's checks, or of all."""
    now = now or timezone.now()
    done = rollups.rolled()
    return {
        name: window_stats(monitor, since=now - length, until=now, region=region, done=done)
        for name, length in windows.items()
    }


def uptime_reports(monitor_ids, *, window: timedelta, now: datetime | None = None
                   ) -> dict[int, WindowStats]:
    """Many monitors' figures over one window ending now, in the same few queries as one's."""
    now = now or timezone.now()
    since = now - window
    return {monitor_id: WindowStats.of(summary, since=since, until=now)
            for monitor_id, summary in rollups.summaries(monitor_ids, since=since,
                                                         until=now).items()}
