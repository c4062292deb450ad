from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from monitors import stats
from monitors.outcomes import Outcome
from tests.factories import CheckResultFactory, MonitorFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def monitor():
    return MonitorFactory()


def add_checks(monitor, response_times, *, outcome=Outcome.OK, at=None):
    at = at or timezone.now() - timedelta(minutes=5)
    for response_ms in response_times:
        CheckResultFactory(monitor=monitor, checked_at=at, outcome=outcome,
                           response_ms=response_ms)


def last_day(monitor):
    now = timezone.now()
    return stats.window_stats(monitor, since=now - timedelta(days=1), until=now)


def test_uptime_is_the_share_of_checks_that_were_up(monitor):
    add_checks(monitor, [100] * 3)
    add_checks(monitor, [None], outcome=Outcome.TIMEOUT)

    figures = last_day(monitor)

    assert (figures.checks, figures.up_checks, figures.uptime_percent) == (4, 3, 75.0)


def test_the_p95_is_the_bound_of_the_latency_bucket_that_holds_the_nearest_rank_value(monitor):
    add_checks(monitor, range(1, 101))  # 1..100 ms: the nearest-rank p95 is 95

    # 95 falls in the 81-100 ms bucket (monitors/rollups.py LATENCY_BUCKETS).
    assert last_day(monitor).p95_response_ms == 100


def test_the_p95_is_never_above_the_slowest_response(monitor):
    add_checks(monitor, range(1, 91))  # the p95, 86, is in the 81-100 ms bucket

    assert last_day(monitor).p95_response_ms == 90


def test_the_p95_of_few_checks_is_their_slowest_but_one_rank(monitor):
    add_checks(monitor, [10, 500, 20])

    # ceil(0.95 * 3) = 3rd smallest: with three values the p95 is the slowest.
    assert last_day(monitor).p95_response_ms == 500


def test_checks_without_a_response_time_do_not_count_towards_times(monitor):
    add_checks(monitor, [100, 300])
    add_checks(monitor, [None, None], outcome=Outcome.CONNECTION_REFUSED)

    figures = last_day(monitor)

    assert (figures.average_response_ms, figures.p95_response_ms) == (200.0, 300)


def test_slow_failures_count_towards_response_times(monitor):
    add_checks(monitor, [100])
    add_checks(monitor, [900], outcome=Outcome.WRONG_STATUS)

    assert last_day(monitor).average_response_ms == 500.0


def test_checks_outside_the_window_and_of_other_monitors_are_left_out(monitor):
    add_checks(monitor, [100])
    add_checks(monitor, [5000], at=timezone.now() - timedelta(days=2))
    add_checks(MonitorFactory(), [7000])

    figures = last_day(monitor)

    assert (figures.checks, figures.p95_response_ms) == (1, 100)


def test_no_checks_means_unknown_not_zero(monitor):
    figures = last_day(monitor)

    assert figures.checks == 0
    assert figures.uptime_percent is None
    assert figures.average_response_ms is None
    assert figures.p95_response_ms is None


def test_the_report_covers_five_windows_in_a_fixed_number_of_queries(monitor):
    add_checks(monitor, [100, 200])

    with CaptureQueriesContext(connection) as queries:
        report = stats.uptime_report(monitor)

    assert list(report) == ["last_24_hours", "last_7_days", "last_30_days", "last_90_days",
                            "last_365_days"]
    # How far rollups are written, then per window the raw results' figures and histogram
    # (and the rollup rows, once some are written: tests/monitors/test_rollups.py).
    assert len(queries) == 1 + 5 * 2
