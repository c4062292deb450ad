"""History that stays cheap: hourly and daily rollups of check results, the figures read from
them, and the retention that deletes what is no longer needed.

At 10,000 monitors checked every minute, CheckResult grows by 14 million rows a day. Every
figure (uptime, average and percentile response times, charts, status-page bars) reads whole
hours and days from Rollup and only the partial edges of its window from raw results, so a
365-day figure reads about 400 rows per monitor whatever the interval.

Periods are half-open in UTC: the hour row that starts at 10:00 holds the checks with
10:00 <= checked_at < 11:00; the day row of the 5th those of the 5th, 00:00 to 24:00.
`roll_up()` writes each hour once it has ended (plus ROLLUP_DELAY, for checks still being
recorded), then each day whose hours are all written; rolling a period again replaces its rows
with the same figures, so the task may run twice, late, or after an outage and catch up.

Percentiles come from a fixed-bucket histogram (LATENCY_BUCKETS, about 30 % wide): a
percentile is the upper bound of the bucket holding the nearest-rank value, capped at the
largest response seen. It merges across hours and days exactly, which a true percentile does
not.
"""

import bisect
import math
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.db import connections, transaction
from django.db.models import (
    Count,
    DateTimeField,
    Func,
    IntegerField,
    Max,
    Min,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.expressions import RawSQL
from django.utils import timezone

from .models import CheckResult, Monitor, Rollup, RollupProgress
from .outcomes import UP_OUTCOMES, Outcome

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
# A check's checked_at is when it started; its result is stored up to its timeout later.
ROLLUP_DELAY = timedelta(minutes=2)
# Upper bounds (ms, inclusive) of the response-time buckets; one more bucket holds the rest.
LATENCY_BUCKETS = (
    1, 2, 3, 4, 5, 6, 8, 10, 13, 16, 20, 25, 30, 40, 50, 65, 80, 100, 130, 160, 200, 250, 300,
    400, 500, 650, 800, 1000, 1300, 1600, 2000, 2500, 3000, 4000, 5000, 6500, 8000, 10000,
    13000, 16000, 20000, 25000, 30000, 40000, 50000, 60000,
)
DELETE_BATCH = 5000


def bucket_of(response_ms: int) -> int:
    return bisect.bisect_left(LATENCY_BUCKETS, response_ms)


def floor_hour(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def floor_day(moment: datetime) -> datetime:
    return floor_hour(moment).replace(hour=0)


def ceil_day(moment: datetime) -> datetime:
    day = floor_day(moment)
    return day if day == moment else day + DAY


@dataclass(frozen=True)
class Summary:
    """Mergeable figures of a set of checks: a rollup row, a raw window, or any sum of them."""

    checks: int = 0
    up_checks: int = 0
    degraded_checks: int = 0
    timed_checks: int = 0
    response_ms_sum: int = 0
    response_ms_min: int | None = None
    response_ms_max: int | None = None
    histogram: dict[int, int] = field(default_factory=dict)
    downtime_seconds: float = 0.0

    def __add__(self, other: "Summary") -> "Summary":
        total = Totals()
        total.add(self.__dict__)
        total.add(other.__dict__)
        return total.summary()

    @classmethod
    def of(cls, rollup: Rollup | dict) -> "Summary":
        row = rollup if isinstance(rollup, dict) else rollup.__dict__
        return cls(**{name: row[name] for name in SUMMARY_FIELDS},
                   histogram={int(k): v for k, v in row["histogram"].items()},
                   downtime_seconds=row.get("downtime_seconds", 0.0))

    def as_fields(self) -> dict:
        return {name: getattr(self, name) for name in SUMMARY_FIELDS} | {
            "histogram": {str(k): v for k, v in sorted(self.histogram.items())},
            "downtime_seconds": self.downtime_seconds,
        }

    @property
    def uptime_percent(self) -> float | None:
        """None when nothing was checked: unknown, not 0 or 100."""
        return round(100 * self.up_checks / self.checks, 3) if self.checks else None

    @property
    def average_response_ms(self) -> float | None:
        return round(self.response_ms_sum / self.timed_checks, 1) if self.timed_checks else None

    def percentile_ms(self, percentile: float) -> int | None:
        """The upper bound of the bucket that holds the nearest-rank value, capped at the
        largest response time: within a bucket of the true percentile, and exact when every
        response fell in one bucket."""
        if not self.timed_checks:
            return None
        rank = math.ceil(percentile / 100 * self.timed_checks)
        seen = 0
        for bucket in sorted(self.histogram):
            seen += self.histogram[bucket]
            if seen >= rank:
                bound = LATENCY_BUCKETS[bucket] if bucket < len(LATENCY_BUCKETS) else None
                return self.response_ms_max if bound is None else min(bound,
                                                                      self.response_ms_max)
        return self.response_ms_max


class Totals:
    """Summaries added up in place: a 365-day figure of 100 monitors adds 40,000 rows."""

    __slots__ = ("counts", "low", "high", "histogram", "downtime")

    def __init__(self) -> None:
        self.counts = [0, 0, 0, 0, 0]  # SUMMARY_FIELDS[:5]
        self.low = self.high = None
        self.histogram: dict[int, int] = {}
        self.downtime = 0.0

    def add(self, row: dict) -> None:
        """A rollup row's values() or a Summary's __dict__."""
        counts = self.counts
        for index, name in enumerate(SUMMARY_FIELDS[:5]):
            counts[index] += row[name]
        self.low = _either(min, self.low, row["response_ms_min"])
        self.high = _either(max, self.high, row["response_ms_max"])
        merge_histogram(self.histogram, row["histogram"])
        self.downtime += row.get("downtime_seconds", 0.0)

    def summary(self) -> "Summary":
        return Summary(*self.counts, response_ms_min=self.low, response_ms_max=self.high,
                       histogram=self.histogram, downtime_seconds=self.downtime)


SUMMARY_FIELDS = ("checks", "up_checks", "degraded_checks", "timed_checks", "response_ms_sum",
                  "response_ms_min", "response_ms_max")
EMPTY = Summary()


def merge_histogram(into: dict[int, int], histogram: dict) -> None:
    """Add `histogram`'s counts to `into`; keys may be strings (as JSON stores them)."""
    for bucket, count in histogram.items():
        bucket = int(bucket)
        into[bucket] = into.get(bucket, 0) + count


def _either(pick, a, b):
    return b if a is None else a if b is None else pick(a, b)


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


# --- Raw results ---------------------------------------------------------------------------

# The bucket of a response time, as SQL: written once rather than as 46 When() expressions
# that the ORM would build and compile again for every query (most of an hour's roll-up).
_BUCKET_SQL = "CASE {} ELSE {} END".format(
    " ".join(f"WHEN response_ms <= {bound} THEN {index}"
             for index, bound in enumerate(LATENCY_BUCKETS)), len(LATENCY_BUCKETS))


def _bucket_expression() -> RawSQL:
    return RawSQL(_BUCKET_SQL, [], output_field=IntegerField())


def raw_summaries(checks, *keys: str) -> dict[tuple, Summary]:
    """Summaries of a CheckResult queryset grouped by `keys` (fields such as "monitor_id",
    "region"), in two grouped queries whatever the number of rows."""
    scalars = checks.values(*keys).annotate(
        checks=Count("id"),
        up_checks=Count("id", filter=Q(outcome__in=UP_OUTCOMES)),
        degraded_checks=Count("id", filter=Q(outcome=Outcome.DEGRADED)),
        timed_checks=Count("response_ms"),
        response_ms_sum=Sum("response_ms"),
        response_ms_min=Min("response_ms"),
        response_ms_max=Max("response_ms"),
    ).order_by()
    histograms: dict[tuple, dict[int, int]] = defaultdict(dict)
    buckets = (checks.exclude(response_ms=None).annotate(bucket=_bucket_expression())
               .values(*keys, "bucket").annotate(n=Count("id")).order_by())
    for row in buckets:
        histograms[tuple(row[key] for key in keys)][row["bucket"]] = row["n"]
    summaries = {}
    for row in scalars:
        key = tuple(row[k] for k in keys)
        summaries[key] = Summary(**{name: row[name] or 0 for name in SUMMARY_FIELDS[:5]},
                                 response_ms_min=row["response_ms_min"],
                                 response_ms_max=row["response_ms_max"],
                                 histogram=histograms.get(key, {}))
    return summaries


def _incident_spans(monitor_ids: Iterable[int] | None, since: datetime, until: datetime):
    """(monitor id, start, end) of each incident's part in [since, until): from the first failed
    check to the resolution, an open one up to `until`."""
    from incidents.models import Incident

    incidents = Incident.objects.filter(started_at__lt=until).filter(
        Q(resolved_at__isnull=True) | Q(resolved_at__gt=since))
    if monitor_ids is not None:
        incidents = incidents.filter(monitor_id__in=list(monitor_ids))
    for monitor_id, started_at, resolved_at in incidents.values_list(
            "monitor_id", "started_at", "resolved_at"):
        start, end = max(since, started_at), min(until, resolved_at or until)
        if end > start:
            yield monitor_id, start, end


def downtime_seconds(monitor_ids: Iterable[int] | None, since: datetime,
                     until: datetime) -> dict[int, float]:
    """Seconds of [since, until) covered by each monitor's incidents."""
    down: dict[int, float] = defaultdict(float)
    for monitor_id, start, end in _incident_spans(monitor_ids, since, until):
        down[monitor_id] += (end - start).total_seconds()
    return down


# --- Writing rollups -----------------------------------------------------------------------

def progress(period: str) -> datetime | None:
    """Every `period` that starts before this is rolled up; None before the first roll-up."""
    row = RollupProgress.objects.filter(period=period).first()
    return row.rolled_until if row else None


def roll_up_hour(start: datetime) -> int:
    """Write the hour that starts at `start` (replacing any rows it had); returns the rows."""
    end = start + HOUR
    by_region = raw_summaries(
        CheckResult.objects.filter(checked_at__gte=start, checked_at__lt=end),
        "monitor_id", "region")
    totals: dict[int, Summary] = defaultdict(Summary)
    for (monitor_id, _region), summary in by_region.items():
        totals[monitor_id] += summary
    for monitor_id, seconds in downtime_seconds(None, start, end).items():
        totals[monitor_id] += Summary(downtime_seconds=seconds)
    rows = [(monitor_id, "", summary) for monitor_id, summary in totals.items()]
    if rows:
        # A row per region only for monitors checked from regions: the others' checks all
        # carry their worker's UPTIME_REGION, and a copy of the total would double the table.
        regions = dict(Monitor.objects.values_list("pk", "regions"))
        rows += [(monitor_id, region, summary)
                 for (monitor_id, region), summary in by_region.items()
                 if region and regions.get(monitor_id)]
    return _replace(Rollup.Period.HOUR, start, end, rows)


def roll_up_day(day: datetime) -> int:
    """Write the day that starts at `day` from its hour rows: the sums, minimum and maximum by
    the database, the histograms merged here (10,000 monitors are 240,000 hour rows a day)."""
    hours = Rollup.objects.filter(period=Rollup.Period.HOUR, start__gte=day,
                                  start__lt=day + DAY)
    histograms: dict[tuple[int, str], dict[int, int]] = defaultdict(dict)
    for monitor_id, region, histogram in hours.values_list(
            "monitor_id", "region", "histogram").iterator(chunk_size=5000):
        merge_histogram(histograms[monitor_id, region], histogram)
    totals = hours.values("monitor_id", "region").annotate(
        **{name: Sum(name) for name in SUMMARY_FIELDS[:5]},
        response_ms_min=Min("response_ms_min"), response_ms_max=Max("response_ms_max"),
        downtime_seconds=Sum("downtime_seconds"),
    ).order_by()
    rows = [(row["monitor_id"], row["region"], Summary(
        **{name: row[name] for name in SUMMARY_FIELDS},
        histogram=histograms.get((row["monitor_id"], row["region"]), {}),
        downtime_seconds=row["downtime_seconds"])) for row in totals]
    return _replace(Rollup.Period.DAY, day, day + DAY, rows)


def _replace(period: str, start: datetime, end: datetime, rows) -> int:
    with transaction.atomic():
        Rollup.objects.filter(period=period, start=start).delete()
        if rows:
            # A monitor deleted since its checks were read has nothing to roll up.
            existing = set(Monitor.objects.values_list("pk", flat=True))
            Rollup.objects.bulk_create(
                [Rollup(monitor_id=monitor_id, region=region, period=period, start=start,
                        **summary.as_fields())
                 for monitor_id, region, summary in rows if monitor_id in existing],
                batch_size=2000)
        # Rolling an old period again (by hand) leaves the progress where it was.
        if not RollupProgress.objects.filter(period=period, rolled_until__lt=end).update(
                rolled_until=end):
            RollupProgress.objects.get_or_create(period=period, defaults={"rolled_until": end})
    return len(rows)


def roll_up(*, now: datetime | None = None, budget_seconds: float = 50.0) -> dict[str, int]:
    """Roll up every hour that has ended and every day whose hours are rolled, oldest first,
    for at most `budget_seconds` (a long catch-up goes on at the next run). Returns how many
    hours and days it wrote."""
    now = now or timezone.now()
    deadline = time.monotonic() + budget_seconds
    written = {"hours": 0, "days": 0}
    last_hour = floor_hour(now - ROLLUP_DELAY)
    hour = progress(Rollup.Period.HOUR) or _first_hour()
    while hour is not None and hour < last_hour and time.monotonic() < deadline:
        roll_up_hour(hour)
        written["hours"] += 1
        hour += HOUR
    hours_done = progress(Rollup.Period.HOUR)
    if hours_done is None:
        return written
    day = progress(Rollup.Period.DAY) or floor_day(_first_hour() or hours_done)
    while day + DAY <= hours_done and time.monotonic() < deadline:
        roll_up_day(day)
        written["days"] += 1
        day += DAY
    return written


def _first_hour() -> datetime | None:
    """Where the first roll-up starts: the hour before the first result stored (by id, which
    the primary key answers at once; a result stored just after may have started a little
    earlier)."""
    first = CheckResult.objects.order_by("pk").values_list("checked_at", flat=True).first()
    return floor_hour(first) - HOUR if first else None


# --- Reading figures -----------------------------------------------------------------------

@dataclass(frozen=True)
class Rolled:
    """How far rollups are written: whole hours before `hours`, whole days before `days`."""

    hours: datetime | None
    days: datetime | None


def rolled() -> Rolled:
    done = dict(RollupProgress.objects.values_list("period", "rolled_until"))
    return Rolled(done.get(Rollup.Period.HOUR), done.get(Rollup.Period.DAY))


def _rollup_rows(monitor_ids, region: str, period: str, since: datetime, until: datetime):
    return (Rollup.objects.filter(monitor_id__in=monitor_ids, region=region, period=period,
                                  start__gte=since, start__lt=until)
            .values("monitor_id", "start", "histogram", "downtime_seconds", *SUMMARY_FIELDS))


def _raw(monitor_ids, region: str | None, since: datetime, until: datetime):
    """Results with since <= checked_at <= until."""
    checks = CheckResult.objects.filter(monitor_id__in=monitor_ids, checked_at__gte=since,
                                        checked_at__lte=until)
    return checks.filter(region=region) if region else checks


def summaries(monitor_ids: Iterable[int], *, since: datetime, until: datetime,
              region: str | None = None, done: Rolled | None = None) -> dict[int, Summary]:
    """Each monitor's figures over since < checked_at <= until (of one region's checks, or of
    all): day rows for the whole days, hour rows for the whole hours around them, raw results
    for the partial hours at each end and for what is not rolled up yet; three queries (four
    without `done`, what rolled() said). A window that reaches past the raw retention misses
    its first partial hour, whose results are gone, and past the hour rows' retention its first
    partial day.

    `monitor_ids` may be a queryset of ids: it then filters as a subquery, with no bound
    parameter per monitor (SQLite refuses a statement with more than 32,766), at one more query
    to list them."""
    chosen = monitor_ids if isinstance(monitor_ids, QuerySet) else None
    monitor_ids = list(monitor_ids)
    if chosen is None:
        chosen = monitor_ids
    done = done or rolled()
    # A defaultdict: a monitor created after the subquery's ids were listed may show up.
    totals: dict[int, Totals] = defaultdict(Totals)
    for monitor_id in monitor_ids:
        totals[monitor_id] = Totals()
    first_hour = floor_hour(since) + HOUR
    hours_end = min(floor_hour(until), done.hours) if done.hours else first_hour
    if hours_end <= first_hour:  # no whole hour rolled up inside the window
        raw = Q(checked_at__gt=since, checked_at__lte=until)
    else:
        raw = (Q(checked_at__gt=since, checked_at__lt=first_hour)
               | Q(checked_at__gte=hours_end, checked_at__lte=until))
        first_day = ceil_day(first_hour)
        days_end = min(floor_day(hours_end), done.days) if done.days else first_day
        if days_end > first_day:
            rows = (Q(period=Rollup.Period.DAY, start__gte=first_day, start__lt=days_end)
                    | Q(period=Rollup.Period.HOUR, start__gte=first_hour, start__lt=first_day)
                    | Q(period=Rollup.Period.HOUR, start__gte=days_end, start__lt=hours_end))
        else:
            rows = Q(period=Rollup.Period.HOUR, start__gte=first_hour, start__lt=hours_end)
        for row in (Rollup.objects.filter(rows, monitor_id__in=chosen, region=region or "")
                    .values("monitor_id", "histogram", "downtime_seconds", *SUMMARY_FIELDS)):
            totals[row["monitor_id"]].add(row)
    checks = CheckResult.objects.filter(raw, monitor_id__in=chosen)
    if region:
        checks = checks.filter(region=region)
    for (monitor_id,), summary in raw_summaries(checks, "monitor_id").items():
        totals[monitor_id].add(summary.__dict__)
    return {monitor_id: total.summary() for monitor_id, total in totals.items()}


def hourly_series(monitor_id: int, *, since: datetime, until: datetime,
                  region: str | None = None) -> dict[datetime, Summary]:
    """One monitor's figures per hour for the hours from floor_hour(since) to until: rows
    where rolled up, raw results grouped by hour after that. An hour with no check has no
    entry."""
    start = floor_hour(since)
    hours_done = rolled().hours or start
    series: dict[datetime, Summary] = {}
    for row in _rollup_rows([monitor_id], region or "", Rollup.Period.HOUR, start,
                            min(hours_done, until)):
        series[row["start"]] = Summary.of(row)
    tail = max(start, hours_done)
    if tail < until:
        checks = _raw([monitor_id], region, tail, until)
        grouped = raw_summaries(
            checks.annotate(hour=BucketIndex("checked_at", since=tail, seconds=3600)), "hour")
        for (index,), summary in grouped.items():
            series[tail + index * HOUR] = series.get(tail + index * HOUR, EMPTY) + summary
    return series


@dataclass(frozen=True)
class DayFigures:
    """One monitor's day, as a status page bar shows it."""

    day: date
    summary: Summary

    @property
    def uptime_percent(self) -> float | None:
        return self.summary.uptime_percent

    @property
    def downtime_seconds(self) -> float:
        return self.summary.downtime_seconds


def daily_figures(monitor_ids: Iterable[int], *, days: int = 90,
                  now: datetime | None = None) -> dict[int, list[DayFigures]]:
    """Each monitor's last `days` UTC days, oldest first and today last (so far), with the
    downtime of their incidents: day rows where rolled up, hour rows after them, raw results
    after those, one query each however many days are not rolled up yet. A day without checks
    has uptime None."""
    now = now or timezone.now()
    monitor_ids = list(monitor_ids)
    today = floor_day(now)
    first = today - (days - 1) * DAY
    done = rolled()
    totals: dict[int, dict[datetime, Totals]] = {monitor_id: {} for monitor_id in monitor_ids}

    def add(monitor_id: int, day: datetime, row: dict) -> None:
        totals[monitor_id].setdefault(day, Totals()).add(row)

    days_done = max(done.days or first, first)
    for row in _rollup_rows(monitor_ids, "", Rollup.Period.DAY, first, days_done):
        add(row["monitor_id"], row["start"], row)
    hours_done = max(done.hours or days_done, days_done)
    for row in _rollup_rows(monitor_ids, "", Rollup.Period.HOUR, days_done, hours_done):
        add(row["monitor_id"], floor_day(row["start"]), row)
    if hours_done <= now:
        base = floor_day(hours_done)
        checks = _raw(monitor_ids, None, hours_done, now).annotate(
            day=BucketIndex("checked_at", since=base, seconds=86400))
        for (monitor_id, index), summary in raw_summaries(checks, "monitor_id", "day").items():
            add(monitor_id, base + index * DAY, summary.__dict__)
        for (monitor_id, day), seconds in _downtime_by_day(monitor_ids, hours_done, now).items():
            add(monitor_id, day, Summary(downtime_seconds=seconds).__dict__)
    return {
        monitor_id: [DayFigures((first + n * DAY).date(), by_day[first + n * DAY].summary()
                                if first + n * DAY in by_day else EMPTY) for n in range(days)]
        for monitor_id, by_day in totals.items()
    }


def _downtime_by_day(monitor_ids, since: datetime, until: datetime) -> dict[tuple, float]:
    """downtime_seconds() of each UTC day between since and until, from one query."""
    down: dict[tuple, float] = defaultdict(float)
    for monitor_id, start, end in _incident_spans(monitor_ids, since, until):
        day = floor_day(start)
        while day < end:
            seconds = (min(end, day + DAY) - max(start, day)).total_seconds()
            if seconds > 0:
                down[monitor_id, day] += seconds
            day += DAY
    return down


# --- Retention -----------------------------------------------------------------------------

def prune(*, now: datetime | None = None) -> dict[str, int]:
    """Delete raw results older than UPTIME_RAW_RETENTION_DAYS, hour rows older than
    UPTIME_HOURLY_ROLLUP_RETENTION_DAYS and day rows older than UPTIME_ROLLUP_RETENTION_DAYS,
    DELETE_BATCH rows per statement (each its own short transaction: no long lock, no table
    rewrite). A raw result is never deleted before its hour is rolled up, nor while an
    incident points to it; an hour row never before its day is."""
    now = now or timezone.now()
    deleted = {"checks": 0, "rollups": 0}
    done = rolled()
    if done.hours is not None:
        raw_cutoff = min(now - timedelta(days=settings.UPTIME_RAW_RETENTION_DAYS), done.hours)
        # Per monitor, through the (monitor, checked_at) index: no scan of the whole table.
        for monitor_id in Monitor.objects.values_list("pk", flat=True).iterator():
            deleted["checks"] += _delete_old_checks(monitor_id, raw_cutoff)
    cutoffs = {Rollup.Period.DAY: now - timedelta(days=settings.UPTIME_ROLLUP_RETENTION_DAYS)}
    if done.days is not None:
        cutoffs[Rollup.Period.HOUR] = min(
            now - timedelta(days=settings.UPTIME_HOURLY_ROLLUP_RETENTION_DAYS), done.days)
    for period, cutoff in cutoffs.items():
        while ids := list(Rollup.objects.filter(period=period, start__lt=cutoff)
                          .values_list("pk", flat=True)[:DELETE_BATCH]):
            Rollup.objects.filter(pk__in=ids).delete()
            deleted["rollups"] += len(ids)
    return deleted


def _delete_old_checks(monitor_id: int, cutoff: datetime) -> int:
    from incidents.models import Incident, IncidentEvent

    connection = connections[CheckResult.objects.db]
    quote = connection.ops.quote_name
    checks = quote(CheckResult._meta.db_table)
    # The checks an incident shows (the one that opened it, its timeline's) stay.
    sql = (
        f"DELETE FROM {checks} WHERE id IN (SELECT c.id FROM {checks} AS c "
        "WHERE c.monitor_id = %s AND c.checked_at < %s "
        f"AND NOT EXISTS (SELECT 1 FROM {quote(Incident._meta.db_table)} AS i "
        "WHERE i.opening_check_id = c.id) "
        f"AND NOT EXISTS (SELECT 1 FROM {quote(IncidentEvent._meta.db_table)} AS e "
        "WHERE e.check_result_id = c.id) "
        f"LIMIT {DELETE_BATCH})"
    )
    total = 0
    while True:
        with connection.cursor() as cursor:
            cursor.execute(sql, [monitor_id, connection.ops.adapt_datetimefield_value(cutoff)])
            total += cursor.rowcount
            if cursor.rowcount < DELETE_BATCH:
                return total
