"""Case 9: flapping. A target failing 2 of every 3 checks, threshold 3, never opens an
incident; one failing 3 in a row opens exactly one. Real beat and worker."""

import pytest

from incidents.models import Incident
from monitors.models import CheckResult
from tests.factories import MonitorFactory
from tests.support.pattern import PatternServer
from tests.support.pipeline import Pipeline

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]


def test_flapping_never_opens_an_incident_and_three_in_a_row_open_one(
    tmp_path, settings, fault_report
):
    settings.UPTIME_MIN_INTERVAL_SECONDS = 1
    flapping = PatternServer("ddu").start()
    streak = PatternServer("uddduuuuuuuuuuuuuuuuuuuuuu").start()
    flapper = MonitorFactory(url=flapping.url("/"), interval_seconds=1, timeout_seconds=1,
                             failure_threshold=3)
    streaker = MonitorFactory(url=streak.url("/"), interval_seconds=1, timeout_seconds=1,
                              failure_threshold=3)
    try:
        with Pipeline(tmp_path, UPTIME_MIN_INTERVAL_SECONDS="1") as pipeline:
            pipeline.wait_for(
                lambda: CheckResult.objects.filter(monitor=flapper).count() >= 15
                and CheckResult.objects.filter(monitor=streaker).count() >= 8,
                timeout=90, what="15 checks of the flapping target, 8 of the other",
            )
    finally:
        flapping.stop()
        streak.stop()

    flapper_outcomes = "".join(
        "u" if code == 200 else "d"
        for code in CheckResult.objects.filter(monitor=flapper).order_by("checked_at")
        .values_list("status_code", flat=True)
    )
    flapper_incidents = Incident.objects.filter(monitor=flapper).count()
    streaker_incidents = Incident.objects.filter(monitor=streaker)
    fault_report(
        "9 flapping target (2 of 3 fail, threshold 3)",
        "no incident; 3 in a row: exactly one",
        f"{len(flapper_outcomes)} checks, {flapper_incidents} incidents; "
        f"3 in a row: {streaker_incidents.count()} incident",
    )
    # The checks really did flap (never three failures in a row).
    assert "ddd" not in flapper_outcomes and flapper_outcomes.count("d") >= 8
    assert flapper_incidents == 0
    assert streaker_incidents.count() == 1
    assert streaker_incidents.get().resolved_at is not None
