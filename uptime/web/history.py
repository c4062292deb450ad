"""What the web pages draw, computed by the database: each monitor's last checks (the
dashboard's heartbeat bars) and one monitor's response times over a range (its chart).

A monitor checked every 10 seconds has 8,640 results a day and 260,000 in 30 days; the queries
below read a fixed number of rows per monitor (the heartbeats) or return one row per bucket
(the chart), never a window's results themselves.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection
from django.db.models import Count, DateTimeField, Func, IntegerField, Q, Sum, Value
from django.utils import timezone

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
        return "up" if self.check.outcome == Outcome.OK else "down"

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
    buckets: int
    label: str  # "last 24 hours"
    bucket_label: str  # "per 15 minutes"
    axis: tuple[str, str, str]  # the x axis: start, middle, end

    @property
    def bucket_seconds(self) -> float:
        return self.length.total_seconds() / self.buckets


CHART_RANGES = {
    chart_range.key: chart_range
    for chart_range in (
        ChartRange("24h", "24 h", timedelta(hours=24), 96, "last 24 hours", "per 15 minutes",
                   ("24 h ago", "12 h ago", "now")),
        ChartRange("7d", "7 d", timedelta(days=7), 168, "last 7 days", "per hour",
                   ("7 d ago", "3.5 d ago", "now")),
        ChartRange("30d", "30 d", timedelta(days=30), 180, "last 30 days", "per 4 hours",
                   ("30 d ago", "15 d ago", "now")),
    )
}
DEFAULT_CHART_RANGE = "24h"


def chart_range(key: str | None) -> ChartRange:
    """The range a ?range= value names; anything else (missing, misspelt) is the default."""
    return CHART_RANGES.get(key or "", CHART_RANGES[DEFAULT_CHART_RANGE])


class BucketIndex(Func):
    """Which bucket of `seconds` after `since` a timestamp falls in, in the database's own
    date arithmetic. Grouping by TruncMinute or TruncHour instead returns a row per minute
    (43,200 for 30 days) and on SQLite costs a Python call per check."""

    output_field = IntegerField()

    def __init__(self, timestamp, *, since: datetime, seconds: float) -> None:
        super().__init__(timestamp, Value(since, output_field=DateTimeField()), Value(seconds))

    def as_sql(self, compiler, connection, **extra):
        parts, params = [], []
        for expression in self.source_expressions:
            sql, expression_params = compiler.compile(expression)
            parts.append(sql)
            params.extend(expression_params)
        timestamp, since, seconds = parts
        if connection.vendor == "postgresql":
            sql = f"FLOOR(EXTRACT(EPOCH FROM ({timestamp} - {since})) / {seconds})::integer"
        else:
            # julianday() parses the text SQLite stores datetimes as, natively.
            sql = f"CAST((julianday({timestamp}) - julianday({since})) * 86400.0 / {seconds}" \
                  " AS INTEGER)"
        return sql, params


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
    shown = chart_range(range_key)
    until = now or timezone.now()
    since = until - shown.length
    buckets = shown.buckets
    rows = (
        CheckResult.objects.filter(monitor=monitor, checked_at__gt=since, checked_at__lte=until)
        .annotate(bucket=BucketIndex("checked_at", since=since, seconds=shown.bucket_seconds))
        .values("bucket")
        .annotate(
            timed=Count("response_ms"),
            total_ms=Sum("response_ms"),
            failed=Count("id", filter=~Q(outcome=Outcome.OK)),
        )
        .order_by()
    )
    timed, total_ms, failed = [0] * buckets, [0] * buckets, [0] * buckets
    for row in rows:
        # A check at `until` exactly is bucket `buckets`: it belongs in the last one.
        index = min(buckets - 1, max(0, row["bucket"]))
        timed[index] += row["timed"]
        total_ms[index] += row["total_ms"] or 0
        failed[index] += row["failed"]
    averages = [
        total / count if count else None for total, count in zip(total_ms, timed, strict=True)
    ]
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
