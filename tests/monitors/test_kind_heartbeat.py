"""Kind `heartbeat`: the deadline check, through the same run_check as every kind.

The clock is not faked: each test moves the monitor's stored times into the past instead, so
the executor reads the real now and the real row, as the worker does.
"""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from incidents.models import Incident
from monitors.checking import run_check
from monitors.kinds import executor_for
from monitors.kinds.heartbeat import HeartbeatExecutor, overdue_result
from monitors.models import CheckResult, Monitor
from monitors.outcomes import Outcome
from tests.factories import MonitorFactory

pytestmark = pytest.mark.django_db

INTERVAL, GRACE = 3600, 300


@pytest.fixture
def heartbeat():
    return MonitorFactory(kind=Monitor.Kind.HEARTBEAT, url="", interval_seconds=INTERVAL,
                          grace_seconds=GRACE, failure_threshold=1)


def ago(seconds: float) -> datetime:
    return timezone.now() - timedelta(seconds=seconds)


def stored(monitor: Monitor, **fields) -> Monitor:
    Monitor.objects.filter(pk=monitor.pk).update(**fields)
    monitor.refresh_from_db()
    return monitor


def passes(monitor: Monitor, seconds: float) -> None:
    """As if `seconds` went by: every stored time moves that far into the past."""
    shift = timedelta(seconds=seconds)
    stored(monitor, **{
        field: getattr(monitor, field) - shift
        for field in ("expecting_pings_since", "last_ping_at", "last_start_at", "last_checked_at")
        if getattr(monitor, field) is not None
    })


def check(monitor: Monitor) -> CheckResult | None:
    # The heartbeat's PeriodicTask sends scheduled=false (monitors/schedule.py).
    result = run_check(monitor.pk, scheduled=False)
    monitor.refresh_from_db()
    return result


def test_it_is_the_heartbeat_kinds_executor():
    assert isinstance(executor_for("heartbeat"), HeartbeatExecutor)


def test_a_new_heartbeat_waits_a_whole_interval_and_grace(heartbeat):
    assert heartbeat.expecting_pings_since is not None
    stored(heartbeat, expecting_pings_since=ago(INTERVAL + GRACE - 30))

    assert check(heartbeat) is None

    assert not CheckResult.objects.exists()
    assert heartbeat.status == Monitor.Status.UNKNOWN
    assert heartbeat.check_lease_until is None, "the claim is released"


def test_one_never_pinged_is_missed_after_interval_and_grace(heartbeat):
    since = ago(INTERVAL + GRACE + 5)
    stored(heartbeat, expecting_pings_since=since)

    result = check(heartbeat)

    assert result.outcome == Outcome.MISSED_HEARTBEAT
    assert result.error == (f"no ping since {since.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC "
                            f"(expected every {INTERVAL}s, grace {GRACE}s)")
    assert heartbeat.status == Monitor.Status.DOWN
    assert Incident.objects.get(monitor=heartbeat).is_open


def test_a_ping_within_interval_and_grace_is_on_time(heartbeat):
    stored(heartbeat, expecting_pings_since=ago(5 * INTERVAL),
           last_ping_at=ago(INTERVAL + GRACE - 30))

    assert check(heartbeat) is None
    assert not CheckResult.objects.exists()


def test_a_late_ping_is_missed_counting_from_the_last_ping(heartbeat):
    last_ping = ago(INTERVAL + GRACE + 5)
    stored(heartbeat, expecting_pings_since=ago(5 * INTERVAL), last_ping_at=last_ping)

    result = check(heartbeat)

    assert result.outcome == Outcome.MISSED_HEARTBEAT
    assert f"no ping since {last_ping.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC" in result.error


def test_a_start_without_its_success_is_missed_after_the_grace(heartbeat):
    started = ago(GRACE + 5)
    stored(heartbeat, expecting_pings_since=ago(5 * INTERVAL), last_ping_at=ago(600),
           last_start_at=started)

    result = check(heartbeat)

    assert result.outcome == Outcome.MISSED_HEARTBEAT
    assert result.error == (f"started at {started.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC, "
                            f"no success ping within grace ({GRACE}s)")


def test_a_run_still_within_its_grace_is_not_missed(heartbeat):
    stored(heartbeat, expecting_pings_since=ago(5 * INTERVAL), last_ping_at=ago(600),
           last_start_at=ago(GRACE - 30))

    assert check(heartbeat) is None


def test_a_down_heartbeat_records_one_miss_per_interval(heartbeat):
    stored(heartbeat, expecting_pings_since=ago(INTERVAL + GRACE + 5))
    first = check(heartbeat)
    assert first.outcome == Outcome.MISSED_HEARTBEAT

    # The PeriodicTask looks every minute: the next looks find the miss already told.
    assert check(heartbeat) is None
    passes(heartbeat, INTERVAL - 30)
    assert check(heartbeat) is None

    passes(heartbeat, 31)
    second = check(heartbeat)

    assert second.outcome == Outcome.MISSED_HEARTBEAT
    assert heartbeat.consecutive_failures == 2
    assert Incident.objects.filter(monitor=heartbeat).count() == 1


def test_a_failure_reported_after_the_deadline_counts_as_that_intervals_miss(heartbeat):
    # A /fail at the deadline has told people already.
    stored(heartbeat, expecting_pings_since=ago(INTERVAL + GRACE + 60),
           last_checked_at=ago(30))

    assert check(heartbeat) is None


def test_resuming_gives_a_whole_interval_and_grace_again(heartbeat):
    stored(heartbeat, expecting_pings_since=ago(3 * INTERVAL), last_ping_at=ago(2 * INTERVAL),
           last_start_at=ago(2 * INTERVAL - 60))
    heartbeat.pause()
    heartbeat.resume()

    assert heartbeat.expecting_pings_since > ago(5)
    assert check(heartbeat) is None
    assert not CheckResult.objects.exists()


def test_a_start_from_before_a_pause_is_no_run_to_wait_for():
    now = timezone.now()
    options = {
        "interval_seconds": INTERVAL, "grace_seconds": GRACE,
        "expecting_pings_since": now - timedelta(seconds=60),
        "last_ping_at": now - timedelta(seconds=2 * INTERVAL),
        "last_start_at": now - timedelta(seconds=2 * GRACE),
        "last_checked_at": None,
    }

    assert overdue_result(options, now) is None


def test_the_miss_repeats_each_interval_not_each_look():
    created = datetime(2026, 1, 1, tzinfo=UTC)
    options = {
        "interval_seconds": 600, "grace_seconds": 60, "expecting_pings_since": created,
        "last_ping_at": None, "last_start_at": None, "last_checked_at": None,
    }
    recorded = []
    # A look every minute for an hour, recording each miss as record() would.
    for minute in range(61):
        now = created + timedelta(minutes=minute)
        if overdue_result(options, now) is not None:
            recorded.append(minute)
            options["last_checked_at"] = now

    assert recorded == [11, 21, 31, 41, 51]


def test_becoming_a_heartbeat_starts_the_wait_then(heartbeat):
    http = MonitorFactory()
    assert http.expecting_pings_since is None

    http.kind = Monitor.Kind.HEARTBEAT
    http.save()

    assert http.url == "" and http.expecting_pings_since > ago(5)
