"""The figures the pages draw: hourly uptime segments and the response-time chart."""

from datetime import timedelta

import pytest
from django.utils import timezone

from monitors.outcomes import Outcome
from tests.factories import CheckResultFactory, MonitorFactory
from uptime.web.history import hourly_uptime, nice_ceiling, response_chart

pytestmark = pytest.mark.django_db


def test_an_hour_with_some_failures_is_degraded_and_with_many_down():
    monitor = MonitorFactory()
    now = timezone.now().replace(minute=30)
    for minute in range(20):
        outcome = Outcome.TIMEOUT if minute == 0 else Outcome.OK
        CheckResultFactory(monitor=monitor, outcome=outcome,
                           checked_at=now - timedelta(minutes=minute))
    for minute in range(4):
        outcome = Outcome.TIMEOUT if minute < 2 else Outcome.OK
        CheckResultFactory(monitor=monitor, outcome=outcome,
                           checked_at=now - timedelta(hours=2, minutes=minute))

    hours = hourly_uptime([monitor.pk], now=now)[monitor.pk]

    assert hours[-1].state == "degraded" and hours[-1].checks == 20
    assert hours[-3].state == "down" and hours[-3].up_checks == 2
    assert hours[-2].state == "none" and hours[-2].summary.endswith("no checks")
    assert "95.0% up of 20 checks" in hours[-1].summary


def test_checks_older_than_24_hours_are_left_out():
    monitor = MonitorFactory()
    now = timezone.now()
    CheckResultFactory(monitor=monitor, checked_at=now - timedelta(hours=25))

    assert {hour.state for hour in hourly_uptime([monitor.pk], now=now)[monitor.pk]} == {"none"}


def test_the_chart_averages_per_bucket_and_leaves_gaps_where_nothing_was_checked():
    monitor = MonitorFactory()
    now = timezone.now()
    CheckResultFactory(monitor=monitor, checked_at=now - timedelta(minutes=1), response_ms=100)
    CheckResultFactory(monitor=monitor, checked_at=now - timedelta(minutes=2), response_ms=300)
    CheckResultFactory(monitor=monitor, checked_at=now - timedelta(hours=6), response_ms=50)
    CheckResultFactory(monitor=monitor, checked_at=now - timedelta(hours=6, minutes=15),
                       response_ms=None, outcome=Outcome.CONNECTION_REFUSED)

    chart = response_chart(monitor, now=now)

    assert chart.scale_ms == 200  # the highest bucket average, 200 ms, rounded up nicely
    assert len(chart.lines) == 2  # six quiet hours between them
    assert chart.lines[-1].split()[-1].endswith(",0.0")  # the 200 ms average at the top
    assert len(chart.failures) == 1


def test_an_unchecked_monitor_has_an_empty_chart():
    assert response_chart(MonitorFactory()).is_empty


@pytest.mark.parametrize("value, ceiling", [(0, 10), (7, 10), (10, 10), (11, 20), (180, 200),
                                            (201, 500), (999, 1000), (1001, 2000)])
def test_the_chart_scale_is_a_round_number(value, ceiling):
    assert nice_ceiling(value) == ceiling



def test_a_check_on_the_hour_counts_in_that_hour_and_one_just_before_in_the_last():
    monitor = MonitorFactory()
    now = timezone.now().replace(minute=30)
    this_hour = now.replace(minute=0, second=0, microsecond=0)
    CheckResultFactory(monitor=monitor, checked_at=this_hour)
    CheckResultFactory(monitor=monitor, checked_at=this_hour - timedelta(microseconds=1),
                       outcome=Outcome.TIMEOUT)
    CheckResultFactory(monitor=monitor, checked_at=this_hour - timedelta(hours=23))

    hours = hourly_uptime([monitor.pk], now=now)[monitor.pk]

    assert (hours[-1].checks, hours[-1].state) == (1, "up")
    assert (hours[-2].checks, hours[-2].state) == (1, "down")
    assert hours[0].checks == 1
    assert sum(hour.checks for hour in hours) == 3


def test_each_monitor_gets_its_own_hours():
    first, second = MonitorFactory(), MonitorFactory()
    now = timezone.now()
    CheckResultFactory(monitor=first, checked_at=now)
    CheckResultFactory(monitor=second, checked_at=now - timedelta(hours=5),
                       outcome=Outcome.TIMEOUT)

    hours = hourly_uptime([first.pk, second.pk], now=now)

    assert [hour.state for hour in hours[first.pk]].count("none") == 23
    assert hours[first.pk][-1].state == "up"
    assert hours[second.pk][-6].state == "down" and hours[second.pk][-1].state == "none"
