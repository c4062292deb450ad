"""Rollups give the figures the raw results give: the same data, computed both ways."""

import math
import random
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents.models import Incident, IncidentEvent
from monitors import rollups, stats
from monitors.models import CheckResult, Rollup, RollupProgress
from monitors.outcomes import UP_OUTCOMES, Outcome
from tests.factories import CheckResultFactory, IncidentFactory, MonitorFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 20, 15, 37, 21, 123456, tzinfo=UTC)
OUTCOMES = [Outcome.OK] * 6 + [Outcome.DEGRADED, Outcome.TIMEOUT, Outcome.WRONG_STATUS,
                               Outcome.CONNECTION_REFUSED]


def generate(monitor, *, days: float, regions=("default",), seed=1, per_hour=7):
    """Checks at random moments over the last `days` before NOW, with random outcomes and
    response times spread over the latency buckets (none for a refused connection)."""
    rng = random.Random(seed)
    rows = []
    for _ in range(int(days * 24 * per_hour)):
        outcome = rng.choice(OUTCOMES)
        response_ms = (None if outcome == Outcome.CONNECTION_REFUSED
                       else int(rng.lognormvariate(5, 1.2)))
        rows.append(CheckResult(
            monitor=monitor, outcome=outcome, response_ms=response_ms,
            checked_at=NOW - timedelta(seconds=rng.uniform(0, days * 86400)),
            region=rng.choice(regions)))
    # Exactly on hour and day boundaries too: each belongs to the period it starts.
    for hours_ago in (1, 2, 24, 25):
        rows.append(CheckResult(monitor=monitor, outcome=Outcome.OK, response_ms=77,
                                checked_at=rollups.floor_hour(NOW) - timedelta(hours=hours_ago),
                                region=regions[0]))
    # Stored in time order, as workers store them (ids follow time: the roll-up starts at the
    # first id's hour).
    CheckResult.objects.bulk_create(sorted(rows, key=lambda row: row.checked_at))


def expected(monitor, since, until, region=None):
    """The figures straight from the raw rows, in Python: what every rollup must equal. The
    percentile is the nearest-rank value's bucket bound, capped at the largest time."""
    checks = [c for c in CheckResult.objects.filter(monitor=monitor)
              if since < c.checked_at <= until and (region is None or c.region == region)]
    times = sorted(c.response_ms for c in checks if c.response_ms is not None)
    up = sum(c.outcome in UP_OUTCOMES for c in checks)
    p95 = None
    if times:
        at_rank = times[math.ceil(0.95 * len(times)) - 1]
        bucket = rollups.bucket_of(at_rank)
        p95 = (min(rollups.LATENCY_BUCKETS[bucket], times[-1])
               if bucket < len(rollups.LATENCY_BUCKETS) else times[-1])
    return {
        "checks": len(checks),
        "up_checks": up,
        "uptime_percent": round(100 * up / len(checks), 3) if checks else None,
        "average_response_ms": round(sum(times) / len(times), 1) if times else None,
        "p95_response_ms": p95,
    }


def figures(monitor, since, until, region=None):
    window = stats.window_stats(monitor, since=since, until=until, region=region)
    return {name: getattr(window, name) for name in
            ("checks", "up_checks", "uptime_percent", "average_response_ms", "p95_response_ms")}


def windows(rng):
    """Windows ending now and at random moments, starting on and off the hour and day grid."""
    yield NOW - timedelta(hours=24), NOW
    yield NOW - timedelta(days=7), NOW
    yield NOW - timedelta(days=9), NOW
    yield rollups.floor_day(NOW) - timedelta(days=3), rollups.floor_hour(NOW)
    for _ in range(12):
        since = NOW - timedelta(seconds=rng.uniform(0, 9 * 86400))
        yield since, since + timedelta(seconds=rng.uniform(0, 5 * 86400))


def test_every_window_reads_the_same_figures_from_rollups_as_from_raw_results():
    monitor = MonitorFactory()
    generate(monitor, days=9)
    rng = random.Random(7)
    cases = list(windows(rng))
    assert all(figures(monitor, *case) == expected(monitor, *case) for case in cases)  # raw only

    written = rollups.roll_up(now=NOW)

    # From the hour before the oldest check's, 9 days ago at 14:00, to 15:00 today; and the 9
    # whole days.
    assert written == {"hours": 9 * 24 + 1, "days": 9}
    assert Rollup.objects.filter(period="day").count() == 9
    # The worker's region of a monitor without regions is no second row.
    assert set(Rollup.objects.values_list("region", flat=True)) == {""}
    for since, until in cases:
        assert figures(monitor, since, until) == expected(monitor, since, until), (since, until)


def test_a_regional_monitors_figures_per_region_and_in_all_equal_the_raw_ones():
    monitor = MonitorFactory(regions=["eu", "us"])
    generate(monitor, days=3, regions=("eu", "us"), seed=2)
    rollups.roll_up(now=NOW)
    since = NOW - timedelta(days=2, hours=5, minutes=3)

    for region in (None, "eu", "us"):
        assert figures(monitor, since, NOW, region) == expected(monitor, since, NOW, region)
    assert set(Rollup.objects.filter(period="hour").values_list("region", flat=True)) == {
        "", "eu", "us"}


def test_rolling_up_again_gives_the_same_rows():
    monitor = MonitorFactory()
    generate(monitor, days=2)
    rollups.roll_up(now=NOW)

    def rows():
        return sorted(Rollup.objects.values_list(
            "monitor", "region", "period", "start", "checks", "up_checks", "degraded_checks",
            "timed_checks", "response_ms_sum", "response_ms_min", "response_ms_max",
            "histogram", "downtime_seconds"))

    before = rows()
    for hour in {start for start in Rollup.objects.filter(period="hour")
                 .values_list("start", flat=True)}:
        rollups.roll_up_hour(hour)
    rollups.roll_up_day(rollups.floor_day(NOW) - rollups.DAY)
    RollupProgress.objects.all().delete()  # as if it had never run: everything again

    rollups.roll_up(now=NOW)

    assert rows() == before


def test_a_roll_up_that_runs_out_of_time_goes_on_where_it_stopped():
    monitor = MonitorFactory()
    generate(monitor, days=2)

    assert rollups.roll_up(now=NOW, budget_seconds=0) == {"hours": 0, "days": 0}
    first = rollups.roll_up(now=NOW - timedelta(days=1))  # an outage: a day behind
    rest = rollups.roll_up(now=NOW)

    assert first["hours"] + rest["hours"] == 2 * 24 + 1
    assert rollups.rolled().hours == rollups.floor_hour(NOW - rollups.ROLLUP_DELAY)
    since = NOW - timedelta(days=2)
    assert figures(monitor, since, NOW) == expected(monitor, since, NOW)


def test_an_hour_is_rolled_up_only_once_the_checks_that_started_in_it_are_stored():
    monitor = MonitorFactory()
    CheckResultFactory(monitor=monitor, checked_at=datetime(2026, 11, 20, 9, 59, tzinfo=UTC))

    rollups.roll_up(now=datetime(2026, 11, 20, 10, 1, tzinfo=UTC))

    assert rollups.rolled().hours == datetime(2026, 11, 20, 9, tzinfo=UTC)  # 9:00 not yet
    rollups.roll_up(now=datetime(2026, 11, 20, 10, 3, tzinfo=UTC))
    assert rollups.rolled().hours == datetime(2026, 11, 20, 10, tzinfo=UTC)


def test_downtime_is_the_time_incidents_cover_in_each_hour_and_day():
    monitor = MonitorFactory()
    start = datetime(2026, 11, 19, 10, 30, tzinfo=UTC)
    CheckResultFactory(monitor=monitor, checked_at=start - timedelta(hours=2))
    IncidentFactory(monitor=monitor, started_at=start, opened_at=start + timedelta(minutes=2),
                    resolved_at=start + timedelta(hours=2))

    rollups.roll_up(now=NOW)

    hours = dict(Rollup.objects.filter(monitor=monitor, period="hour", downtime_seconds__gt=0)
                 .values_list("start", "downtime_seconds"))
    assert hours == {datetime(2026, 11, 19, 10, tzinfo=UTC): 1800.0,
                     datetime(2026, 11, 19, 11, tzinfo=UTC): 3600.0,
                     datetime(2026, 11, 19, 12, tzinfo=UTC): 1800.0}
    day = Rollup.objects.get(monitor=monitor, period="day", region="",
                             start=datetime(2026, 11, 19, tzinfo=UTC))
    assert day.downtime_seconds == 7200.0


def test_daily_figures_are_each_days_raw_figures_whether_rolled_up_or_not():
    monitor = MonitorFactory()
    generate(monitor, days=5, seed=3)
    rollups.roll_up(now=NOW - timedelta(days=2))  # the last two days are not rolled up yet

    days = rollups.daily_figures([monitor.pk], days=7, now=NOW)[monitor.pk]

    assert [d.day for d in days] == [(NOW - timedelta(days=n)).date() for n in range(6, -1, -1)]
    for figures_of_day in days:
        start = datetime.combine(figures_of_day.day, datetime.min.time(), tzinfo=UTC)
        raw = [c for c in CheckResult.objects.filter(monitor=monitor)
               if start <= c.checked_at < min(start + rollups.DAY, NOW)]
        up = sum(c.outcome in UP_OUTCOMES for c in raw)
        assert figures_of_day.summary.checks == len(raw)
        assert figures_of_day.uptime_percent == (round(100 * up / len(raw), 3) if raw else None)


def test_an_hourly_series_equals_the_raw_results_grouped_by_hour():
    monitor = MonitorFactory()
    generate(monitor, days=2, seed=4)
    rollups.roll_up(now=NOW - timedelta(hours=20))
    since = NOW - timedelta(days=1, minutes=10)

    series = rollups.hourly_series(monitor.pk, since=since, until=NOW)

    grouped = {}
    for check in CheckResult.objects.filter(monitor=monitor,
                                            checked_at__gte=rollups.floor_hour(since)):
        grouped.setdefault(rollups.floor_hour(check.checked_at), []).append(check)
    assert sorted(series) == sorted(grouped)
    for hour, checks in grouped.items():
        assert series[hour].checks == len(checks), hour
        assert series[hour].up_checks == sum(c.outcome in UP_OUTCOMES for c in checks)


def test_retention_deletes_old_results_in_batches_once_rolled_up(settings, monkeypatch):
    settings.UPTIME_RAW_RETENTION_DAYS = 3
    settings.UPTIME_HOURLY_ROLLUP_RETENTION_DAYS = 4
    settings.UPTIME_ROLLUP_RETENTION_DAYS = 6
    monkeypatch.setattr(rollups, "DELETE_BATCH", 7)
    monitor = MonitorFactory()
    generate(monitor, days=9, seed=5)
    old_opening = CheckResultFactory(monitor=monitor, checked_at=NOW - timedelta(days=8))
    old_event = CheckResultFactory(monitor=monitor, checked_at=NOW - timedelta(days=8))
    incident = IncidentFactory(monitor=monitor, opening_check=old_opening,
                               started_at=NOW - timedelta(days=8),
                               resolved_at=NOW - timedelta(days=8) + timedelta(minutes=5))
    IncidentEvent.objects.create(incident=incident, kind="resolved", check_result=old_event)
    week = figures(monitor, NOW - timedelta(days=5), NOW)

    assert rollups.prune(now=NOW) == {"checks": 0, "rollups": 0}  # nothing rolled up yet
    rollups.roll_up(now=NOW - timedelta(days=5))  # rolled up to five days ago only

    deleted = rollups.prune(now=NOW)

    # Not three days ago: the rest is not rolled up.
    raw_cutoff = rollups.floor_hour(NOW - timedelta(days=5) - rollups.ROLLUP_DELAY)
    assert rollups.rolled().hours == raw_cutoff
    assert deleted["checks"] > 7
    assert not CheckResult.objects.filter(checked_at__lt=raw_cutoff).exclude(
        pk__in=[old_opening.pk, old_event.pk]).exists()
    assert CheckResult.objects.filter(pk__in=[old_opening.pk, old_event.pk]).count() == 2
    assert not Rollup.objects.filter(start__lt=NOW - timedelta(days=6)).exists()
    # Hour rows: not four days ago either, but where the days rolled up end.
    days_done = rollups.rolled().days
    assert days_done == rollups.floor_day(NOW - timedelta(days=5))
    assert not Rollup.objects.filter(period="hour", start__lt=days_done).exists()
    assert Rollup.objects.filter(period="hour", start=days_done).exists()
    assert deleted["rollups"] > 0
    assert Incident.objects.get(pk=incident.pk).opening_check_id == old_opening.pk
    # What is left still gives the figures of the last five days.
    assert figures(monitor, NOW - timedelta(days=5), NOW) == week


def test_daily_figures_cost_a_few_queries_however_many_days_are_not_rolled_up():
    monitor = MonitorFactory()
    generate(monitor, days=5, seed=6)
    start = datetime(2026, 11, 18, 23, 0, tzinfo=UTC)  # across midnight, not rolled up
    IncidentFactory(monitor=monitor, started_at=start, opened_at=start,
                    resolved_at=start + timedelta(hours=3))

    with CaptureQueriesContext(connection) as queries:
        days = rollups.daily_figures([monitor.pk], days=90, now=NOW)[monitor.pk]

    # Progress; day rows; hour rows; the raw results' figures and histogram; incidents.
    assert len(queries) == 6
    down = {d.day.isoformat(): d.downtime_seconds for d in days if d.downtime_seconds}
    assert down == {"2026-11-18": 3600.0, "2026-11-19": 7200.0}
    rollups.roll_up(now=NOW)
    assert rollups.daily_figures([monitor.pk], days=90, now=NOW)[monitor.pk] == days
