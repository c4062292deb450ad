"""What the web pages draw, aggregated by the database: 24 hourly uptime segments per monitor
(the dashboard's bars) and one monitor's response times over 24 hours (its chart).

A monitor checked every 10 seconds has 8,640 results a day; the queries below return at most
one row per monitor and hour, or per minute, never the results themselves.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db.models import Case, Count, IntegerField, Q, Sum, Value, When
from django.db.models.functions import TruncMinute
from django.utils import timezone

from monitors.models import CheckResult
from monitors.outcomes import Outcome

HOURS = 24
# Below this share of good checks an hour is drawn as down rather than degraded.
DEGRADED_MINIMUM = 0.9


@dataclass(frozen=True)
class HourOfChecks:
    start: datetime
    checks: int = 0
    up_checks: int = 0

    @property
    def state(self) -> str:
        if not self.checks:
            return "none"
        if self.up_checks == self.checks:
            return "up"
        return "degraded" if self.up_checks >= DEGRADED_MINIMUM * self.checks else "down"

    @property
    def summary(self) -> str:
        start = timezone.localtime(self.start)
        span = f"{start:%H:%M}–{start + timedelta(hours=1):%H:%M}"
        if not self.checks:
            return f"{span}: no checks"
        return f"{span}: {100 * self.up_checks / self.checks:.1f}% up of {self.checks} checks"


def hour_starts(now: datetime, hours: int = HOURS) -> list[datetime]:
    """The starts of the last `hours` local hours, oldest first, the current one last."""
    current = timezone.localtime(now).replace(minute=0, second=0, microsecond=0)
    # Stepping back in UTC, then converting, stays right across a daylight-saving change.
    current_utc = current.astimezone(UTC)
    return [timezone.localtime(current_utc - timedelta(hours=back))
            for back in reversed(range(hours))]


def hourly_uptime(monitor_ids, *, now: datetime | None = None) -> dict[int, list[HourOfChecks]]:
    starts = hour_starts(now or timezone.now())
    # The hour's index by comparisons the database does natively. Grouping by TruncHour
    # instead costs a Python call per check on SQLite: 0.8 s for a page of 100 monitors
    # checked every minute (144,000 results), against 0.15 s this way.
    hour = Case(
        *(When(checked_at__lt=end, then=Value(index)) for index, end in enumerate(starts[1:])),
        default=Value(len(starts) - 1),
        output_field=IntegerField(),
    )
    rows = (
        CheckResult.objects.filter(monitor_id__in=monitor_ids, checked_at__gte=starts[0])
        .annotate(hour=hour)
        .values("monitor_id", "hour")
        .annotate(checks=Count("id"), up_checks=Count("id", filter=Q(outcome=Outcome.OK)))
        .order_by()
    )
    counts = {(row["monitor_id"], row["hour"]): row for row in rows}
    return {
        monitor_id: [
            HourOfChecks(
                start,
                checks=counts.get((monitor_id, index), {}).get("checks", 0),
                up_checks=counts.get((monitor_id, index), {}).get("up_checks", 0),
            )
            for index, start in enumerate(starts)
        ]
        for monitor_id in monitor_ids
    }


@dataclass(frozen=True)
class ResponseChart:
    """An SVG line of average response times, in a WIDTH x HEIGHT viewBox."""

    WIDTH = 1000
    HEIGHT = 200

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


def response_chart(monitor, *, now: datetime | None = None, buckets: int = 96) -> ResponseChart:
    until = now or timezone.now()
    since = until - timedelta(hours=HOURS)
    bucket_seconds = HOURS * 3600 / buckets
    rows = (
        CheckResult.objects.filter(monitor=monitor, checked_at__gt=since, checked_at__lte=until)
        .annotate(minute=TruncMinute("checked_at"))
        .values("minute")
        .annotate(
            timed=Count("response_ms"),
            total_ms=Sum("response_ms"),
            failed=Count("id", filter=~Q(outcome=Outcome.OK)),
        )
        .order_by()
    )
    timed, total_ms, failed = [0] * buckets, [0] * buckets, [0] * buckets
    for row in rows:
        offset = (row["minute"] - since).total_seconds()
        index = min(buckets - 1, max(0, int(offset // bucket_seconds)))
        timed[index] += row["timed"]
        total_ms[index] += row["total_ms"] or 0
        failed[index] += row["failed"]
    averages = [
        total / count if count else None for total, count in zip(total_ms, timed, strict=True)
    ]
    scale_ms = nice_ceiling(max((a for a in averages if a is not None), default=0))
    step = ResponseChart.WIDTH / buckets
    return ResponseChart(
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
