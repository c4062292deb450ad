"""The figures the pages draw: each monitor's last checks (heartbeats) and the response-time
chart over 24 hours to 365 days."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from monitors import rollups
from monitors.outcomes import Outcome
from tests.factories import CheckResultFactory, MonitorFactory
from uptime.web.history import (
    CHART_RANGES,
    HEARTBEATS,
    chart_range,
    last_checks,
    nice_ceiling,
    response_chart,
)

pytestmark = pytest.mark.django_db


class TestHeartbeats:
    def test_the_last_checks_are_oldest_first_newest_last_padded_on_the_left(self):
        monitor = MonitorFactory()
        now = timezone.now()
        CheckResultFactory(monitor=monitor, checked_at=now - timedelta(minutes=2))
        CheckResultFactory(monitor=monitor, checked_at=now, outcome=Outcome.TIMEOUT,
                           response_ms=None)
        CheckResultFactory(monitor=monitor, checked_at=now - timedelta(minutes=1),
                           response_ms=87)

        beats = last_checks([monitor.pk])[monitor.pk]

        assert len(beats) == HEARTBEATS
        assert [beat.state for beat in beats[-4:]] == ["none", "up", "up", "down"]
        assert beats[-1].summary.endswith("Timed out")
        assert beats[-2].summary.endswith("OK, 87 ms")
        assert beats[0].summary == "no check"

    def test_only_the_last_n_checks_of_each_monitor_in_one_query(self):
        busy, quiet, unchecked = MonitorFactory(), MonitorFactory(), MonitorFactory()
        now = timezone.now()
        for minute in range(HEARTBEATS + 10):
            outcome = Outcome.TIMEOUT if minute == HEARTBEATS else Outcome.OK
            CheckResultFactory(monitor=busy, checked_at=now - timedelta(minutes=minute),
                               outcome=outcome)
        CheckResultFactory(monitor=quiet, checked_at=now - timedelta(days=40),
                           outcome=Outcome.TIMEOUT)

        with CaptureQueriesContext(connection) as queries:
            beats = last_checks([busy.pk, quiet.pk, unchecked.pk], limit=HEARTBEATS)

        assert len(queries) == 1
        # The failure is the 31st newest check: just out of the bar.
        assert {beat.state for beat in beats[busy.pk]} == {"up"}
        assert [beat.state for beat in beats[quiet.pk]][-2:] == ["none", "down"]
        assert {beat.state for beat in beats[unchecked.pk]} == {"none"}

    def test_no_monitors_no_query(self):
        with CaptureQueriesContext(connection) as queries:
            assert last_checks([]) == {}
        assert len(queries) == 0


NOW = datetime(2026, 11, 20, 15, 37, 21, 123456, tzinfo=UTC)


class TestChart:
    def test_it_averages_per_bucket_and_leaves_gaps_where_nothing_was_checked(self):
        monitor = MonitorFactory()
        now = NOW
        CheckResultFactory(monitor=monitor, checked_at=now - timedelta(minutes=1),
                           response_ms=100)
        CheckResultFactory(monitor=monitor, checked_at=now - timedelta(minutes=2),
                           response_ms=300)
        CheckResultFactory(monitor=monitor, checked_at=now - timedelta(hours=6), response_ms=50)
        CheckResultFactory(monitor=monitor, checked_at=now - timedelta(hours=6, minutes=15),
                           response_ms=None, outcome=Outcome.CONNECTION_REFUSED)

        chart = response_chart(monitor, now=now)

        assert chart.range.key == "24h"
        assert chart.scale_ms == 200  # the highest bucket average, 200 ms, rounded up nicely
        assert len(chart.lines) == 2  # six quiet hours between them
        assert chart.lines[-1].split()[-1].endswith(",0.0")  # the 200 ms average at the top
        assert len(chart.failures) == 1

    def test_an_unchecked_monitor_has_an_empty_chart(self):
        assert response_chart(MonitorFactory()).is_empty

    def test_a_check_is_drawn_in_the_bucket_of_its_time(self):
        monitor = MonitorFactory()
        now = NOW  # 15:37
        # 24 buckets of an hour on the hour grid, the last one holding now: 16:00 yesterday
        # to 16:00 today. 7 h 50 min ago, 07:47, is in the 07:00 bucket (0-based 15).
        CheckResultFactory(monitor=monitor, checked_at=now - timedelta(hours=7, minutes=50),
                           outcome=Outcome.TIMEOUT, response_ms=None)
        # The first bucket's first instant and `now` itself land in the first and the last
        # bucket; a check before the first bucket is not drawn.
        since = datetime(2026, 11, 19, 16, tzinfo=UTC)
        CheckResultFactory(monitor=monitor, checked_at=since, outcome=Outcome.TIMEOUT,
                           response_ms=None)
        CheckResultFactory(monitor=monitor, checked_at=since - timedelta(microseconds=1),
                           outcome=Outcome.TIMEOUT, response_ms=None)
        CheckResultFactory(monitor=monitor, checked_at=now, outcome=Outcome.TIMEOUT,
                           response_ms=None)

        chart = response_chart(monitor, now=now)

        step = chart.WIDTH / 24
        assert chart.since == since
        assert [x for x, _ in chart.failures] == [0.0, round(15 * step, 1), round(23 * step, 1)]

    def test_rolled_up_hours_and_days_draw_the_same_chart_as_raw_results(self):
        monitor = MonitorFactory()
        for hour in reversed(range(0, 40 * 24, 5)):  # oldest first, as workers store them
            CheckResultFactory(monitor=monitor, checked_at=NOW - timedelta(hours=hour, minutes=7),
                               response_ms=100 + hour % 11,
                               outcome=Outcome.OK if hour % 13 else Outcome.TIMEOUT)
        before = {key: response_chart(monitor, range_key=key, now=NOW) for key in CHART_RANGES}

        rollups.roll_up(now=NOW)

        assert rollups.rolled().days == datetime(2026, 11, 20, tzinfo=UTC)
        for key in CHART_RANGES:
            assert response_chart(monitor, range_key=key, now=NOW) == before[key], key

    @pytest.mark.parametrize("key, days_back, shown", [
        ("24h", 2, False), ("7d", 2, True), ("7d", 8, False), ("30d", 8, True),
        ("30d", 31, False), ("90d", 31, True), ("90d", 91, False), ("365d", 200, True),
        ("365d", 366, False),
    ])
    def test_each_range_shows_the_checks_within_it(self, key, days_back, shown):
        monitor = MonitorFactory()
        now = NOW
        CheckResultFactory(monitor=monitor, checked_at=now - timedelta(days=days_back),
                           response_ms=120)

        chart = response_chart(monitor, range_key=key, now=now)

        assert chart.range.key == key
        assert chart.is_empty is not shown

    def test_the_buckets_widen_with_the_range(self):
        assert [chart_range.bucket_seconds for chart_range in CHART_RANGES.values()] == [
            3600, 3600, 4 * 3600, 86400, 86400]

    def test_thirty_days_of_checks_are_at_most_one_row_per_bucket(self):
        monitor = MonitorFactory()
        now = NOW
        for hour in range(0, 30 * 24, 3):
            CheckResultFactory(monitor=monitor, checked_at=now - timedelta(hours=hour),
                               response_ms=100 + hour % 7)

        chart = response_chart(monitor, range_key="30d", now=now)

        points = sum(len(line.split()) for line in chart.lines)
        assert points <= CHART_RANGES["30d"].buckets
        assert len(chart.lines) == 1  # a check every 3 hours leaves no 4-hour bucket empty

    @pytest.mark.parametrize("value", [None, "", "1y", "24H", "7d; drop table", "\x00"])
    def test_an_unknown_range_is_the_default(self, value):
        assert chart_range(value).key == "24h"


@pytest.mark.parametrize("value, ceiling", [(0, 10), (7, 10), (10, 10), (11, 20), (180, 200),
                                            (201, 500), (999, 1000), (1001, 2000)])
def test_the_chart_scale_is_a_round_number(value, ceiling):
    assert nice_ceiling(value) == ceiling
