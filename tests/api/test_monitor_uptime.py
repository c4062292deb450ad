from datetime import timedelta

import pytest
from django.utils import timezone

from monitors.outcomes import Outcome
from tests.factories import CheckResultFactory, MonitorFactory

pytestmark = pytest.mark.django_db


def test_it_reports_each_window(as_alice, alice):
    monitor = MonitorFactory(owner=alice)
    now = timezone.now()
    CheckResultFactory(monitor=monitor, checked_at=now - timedelta(hours=1), response_ms=100)
    CheckResultFactory(
        monitor=monitor,
        checked_at=now - timedelta(days=3),
        outcome=Outcome.TIMEOUT,
        status_code=None,
        response_ms=None,
    )
    CheckResultFactory(monitor=monitor, checked_at=now - timedelta(days=20), response_ms=300)

    body = as_alice.get(f"/api/v1/monitors/{monitor.pk}/uptime").json()

    assert body["monitor"] == monitor.pk
    day, week, month = body["last_24_hours"], body["last_7_days"], body["last_30_days"]
    assert (day["checks"], day["uptime_percent"], day["p95_response_ms"]) == (1, 100.0, 100)
    assert (week["checks"], week["up_checks"], week["uptime_percent"]) == (2, 1, 50.0)
    assert (month["checks"], month["average_response_ms"], month["p95_response_ms"]) == (
        3, 200.0, 300,
    )


def test_a_monitor_without_checks_has_unknown_figures(as_alice, alice):
    monitor = MonitorFactory(owner=alice)

    body = as_alice.get(f"/api/v1/monitors/{monitor.pk}/uptime").json()

    assert body["last_24_hours"]["checks"] == 0
    assert body["last_24_hours"]["uptime_percent"] is None
    assert body["last_24_hours"]["p95_response_ms"] is None
