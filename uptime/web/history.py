"""What the web pages draw, computed by the database: each monitor's last checks (the
dashboard's heartbeat bars) and one monitor's response times over a range (its chart).

A monitor checked every 10 seconds has 8,640 results a day and 260,000 in 30 days; the queries
below read a fixed number of rows per monitor (the heartbeats) or return one row per bucket
(the chart), never a window's results themselves.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection
from django.utils import timezone

from monitors import rollups
from monitors.models import CheckResult
from monitors.outcomes import Outcome

HEARTBEATS = 30
OUTCOME_LABELS = dict(Outcome.choices)


@dataclass(frozen=True)
class Beat:
    """One check in a heartbeat bar; an empty place (fewer checks than beads) has no check."""

    check: CheckResult | None = None

    @property
    def state(self) -> str:
        if self.check is None:
            return "none"
        if self.check.outcome == Outcome.DEGRADED:
            return "degraded"
        return "up" if self.check.is_up else "down"

    @property
    def summary(self) -> str:
        if self.check is None:
            return "no check"
        check = self.check
        at = timezone.localtime(check.checked_at)
        outcome = OUTCOME_LABELS.get(check.outcome, check.outcome)
        text = f"{at:%b} {at.day}, {at:%H:%M:%S}: {outcome}"
        return text + (f", {check.response_ms} ms" if check.response_ms is not None else "")


# The last `limit` checks of each monitor, each read from the (monitor, -checked_at) index.
# A window function (row_number() over (partition by monitor ...)) would rank every check the
# page's monitors ever had: 100 monitors checked every minute for 30 days are 4.3 million rows
# read to keep 3,000. PostgreSQL reads exactly the rows it keeps with a lateral join; SQLite,
# which has no LATERAL, does the same with one LIMITed subquery per monitor.
_COLUMNS = "id, monitor_id, checked_at, outcome, status_code, response_ms"
_LAST_CHECKS_POSTGRESQL = f"""
    SELECT c.* FROM unnest(%s::bigint[]) AS page(monitor_id)
    CROSS JOIN LATERAL (
        SELECT {_COLUMNS} FROM {{table}} AS r WHERE r.monitor_id = page.monitor_id
        ORDER BY r.checked_at DESC LIMIT %s
    ) AS c
"""
_LAST_CHECKS_SQLITE = f"""
    SELECT * FROM (
        SELECT {_COLUMNS} FROM {{table}} WHERE monitor_id = %s ORDER BY checked_at DESC LIMIT %s
    )
"""


def last_checks_query(monitor_ids: list[int], limit: int) -> tuple[str, list]:
    table = connection.ops.quote_name(CheckResult._meta.db_table)
    if connection.vendor == "postgresql":
        return _LAST_CHECKS_POSTGRESQL.format(table=table), [list(monitor_ids), limit]
    sql = " UNION ALL ".join([_LAST_CHECKS_SQLITE.format(table=table)] * len(monitor_ids))
    return sql, [value for monitor_id in monitor_ids for value in (monitor_id, limit)]


def last_checks(monitor_ids: list[int], *, limit: int = HEARTBEATS) -> dict[int, list[Beat]]:
    """Each monitor's last `limit` checks as beads, oldest first and newest last, padded on
    the left with empty beads. One query (for a page: SQLite allows 500 subqueries in one)."""
    beats: dict[int, list[CheckResult]] = {monitor_id: [] for monitor_id in monitor_ids}
    if monitor_ids:
        for check in CheckResult.objects.raw(*last_checks_query(monitor_ids, limit)):
            beats[check.monitor_id].append(check)
    return {
        monitor_id: [Beat()] * (limit - len(checks))
        + [Beat(check) for check in sorted(checks, key=lambda check: (check.checked_at, check.pk))]
        for monitor_id, checks in beats.items()
    }


@dataclass(frozen=True)
class ChartRange:
    key: str  # what ?range= says
    short: str  # the tab: "24 h"
    length: timedelta
    bucket: timedelta  # a whole number of hours, or a day
    label: str  # "last 24 hours"
    bucket_label: str  # "per hour"
    axis: tuple[str, str, str]  # the x axis: start, middle, end

    @property
    def buckets(self) -> int:
        return int(self.length / self.bucket)

    @property
    def bucket_seconds(self) -> float:
        return self.bucket.total_seconds()

    def last_bucket_start(self, now: datetime) -> datetime:
        """Buckets sit on the UTC hour (or day) grid, the last one holding `now`, so that each
        is whole rollup rows (monitors/rollups.py) but the last."""
        if self.bucket >= rollups.DAY:
            return rollups.floor_day(now)
        hour = rollups.floor_hour(now)
        hours = int(self.bucket / rollups.HOUR)
        return hour - (hour.hour % hours) * rollups.HOUR


CHART_RANGES = {
    chart_range.key: chart_range
    for chart_range in (
        ChartRange("24h", "24 h", timedelta(hours=24), timedelta(hours=1), "last 24 hours",
                   "per hour", ("24 h ago", "12 h ago", "now")),
        ChartRange("7d", "7 d", timedelta(days=7), timedelta(hours=1), "last 7 days",
                   "per hour", ("7 d ago", "3.5 d ago", "now")),
        ChartRange("30d", "30 d", timedelta(days=30), timedelta(hours=4), "last 30 days",
                   "per 4 hours", ("30 d ago", "15 d ago", "now")),
        ChartRange("90d", "90 d", timedelta(days=90), timedelta(days=1), "last 90 days",
                   "per day", ("90 d ago", "45 d ago", "today")),
        ChartRange("365d", "365 d", timedelta(days=365), timedelta(days=1), "last 365 days",
                   "per day", ("365 d ago", "6 months ago", "today")),
    )
}
DEFAULT_CHART_RANGE = "24h"


def chart_range(key: str | None) -> ChartRange:
    """The range a ?range= value names; anything else (missing, misspelt) is the default."""
    return CHART_RANGES.get(key or "", CHART_RANGES[DEFAULT_CHART_RANGE])


@dataclass(frozen=True)
class ResponseChart:
    """An SVG line of average response times, in a WIDTH x HEIGHT viewBox."""

    WIDTH = 1000
    HEIGHT = 200

    range: ChartRange
    since: datetime
    until: datetime
    scale_ms: int
    lines: list[str]
    # (x, width) of each bucket that had a failed check, drawn as a red band.
    failures: list[tuple[float, float]]

    @property
    def is_empty(self) -> bool:
        return not self.lines and not self.failures

    @property
    def middle(self) -> int:
        return self.HEIGHT // 2

    @property
    def half_scale_ms(self) -> int:
        return self.scale_ms // 2


def response_chart(monitor, *, range_key: str | None = None,
                   now: datetime | None = None) -> ResponseChart:
    """Average response time and failed checks per bucket, read from hourly or daily rollups
    and raw results for what is not rolled up yet."""
    shown = chart_range(range_key)
    until = now or timezone.now()
    buckets = shown.buckets
    since = shown.last_bucket_start(until) + shown.bucket - shown.length
    per_bucket = [rollups.EMPTY] * buckets
    if shown.bucket >= rollups.DAY:
        days = rollups.daily_figures([monitor.pk], days=buckets, now=until)[monitor.pk]
        per_bucket = [day.summary for day in days]
    else:
        for hour, summary in rollups.hourly_series(monitor.pk, since=since, until=until).items():
            index = int((hour - since) / shown.bucket)
            if 0 <= index < buckets:
                per_bucket[index] += summary
    averages = [summary.average_response_ms for summary in per_bucket]
    failed = [summary.checks - summary.up_checks for summary in per_bucket]
    scale_ms = nice_ceiling(max((a for a in averages if a is not None), default=0))
    step = ResponseChart.WIDTH / buckets
    return ResponseChart(
        range=shown,
        since=since,
        until=until,
        scale_ms=scale_ms,
        lines=polylines(averages, step=step, scale_ms=scale_ms),
        failures=[(round(i * step, 1), round(step, 1)) for i, n in enumerate(failed) if n],
    )


def polylines(averages: list[float | None], *, step: float, scale_ms: int) -> list[str]:
    """SVG points, one string per run of buckets that have a value: a gap stays a gap."""
    lines, points = [], []
    for index, average in enumerate(averages):
        if average is None:
            if points:
                lines.append(" ".join(points))
            points = []
            continue
        x = round((index + 0.5) * step, 1)
        y = round(ResponseChart.HEIGHT * (1 - average / scale_ms), 1)
        points.append(f"{x},{y}")
    if points:
        lines.append(" ".join(points))
    # A single point draws nothing as a polyline; repeat it so a lone bucket shows as a dot.
    return [line if " " in line else f"{line} {line}" for line in lines]


def nice_ceiling(value: float) -> int:
    """The smallest of 1, 2, 5 x 10^n that is at least value (and at least 10 ms)."""
    magnitude = 10
    while True:
        for factor in (1, 2, 5):
            if factor * magnitude >= value:
                return factor * magnitude
        magnitude *= 10
