"""The quorum state machine as the checks run it: Monitor.record_in_region and apply_quorum
in one transaction per result, on the real database, over random per-region result sequences.

After every result: never two open incidents; an incident open exactly while at least
`quorum` regions have each failed `failure_threshold` times in a row (counted here from the
sequence, independently of the code under test); and so each opened incident is resolved by
the first result that breaks that condition.
"""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from incidents.lifecycle import apply_quorum
from incidents.models import Incident
from monitors.models import Monitor, RegionState
from monitors.outcomes import Outcome, ProbeResult
from tests.factories import MonitorFactory, UserFactory

pytestmark = pytest.mark.django_db

UP = ProbeResult(Outcome.OK, "HTTP 200", status_code=200, response_ms=12)
DOWN = ProbeResult(Outcome.CONNECTION_ERROR, "connection refused")


def record(monitor: Monitor, region: str, result: ProbeResult, at) -> None:
    state = RegionState.objects.get(monitor=monitor, region=region)
    with transaction.atomic():
        check, verdict = monitor.record_in_region(state, result, checked_at=at)
        apply_quorum(monitor, check, verdict)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(regions=st.integers(1, 4), threshold=st.integers(1, 3), data=st.data(),
       sequence=st.lists(st.tuples(st.integers(0, 3), st.booleans()), max_size=25))
def test_incidents_follow_the_quorum_of_failing_regions(regions, threshold, data, sequence):
    quorum = data.draw(st.integers(1, regions), label="quorum")
    names = ["us", "in", "eu", "ap"][:regions]
    monitor = MonitorFactory(owner=UserFactory(), regions=names, quorum=quorum,
                             failure_threshold=threshold, interval_seconds=60)
    failures = dict.fromkeys(names, 0)
    at = timezone.now()
    # Each region reports once first; the results then follow within one interval of each
    # other, so no region goes stale.
    steps = [(name, True) for name in names] + [
        (names[index % regions], ok) for index, ok in sequence]
    for name, ok in steps:
        at += timedelta(seconds=1)
        record(monitor, name, UP if ok else DOWN, at)
        failures[name] = 0 if ok else failures[name] + 1

        holds = sum(count >= threshold for count in failures.values()) >= quorum
        open_incidents = Incident.objects.open().filter(monitor=monitor).count()
        assert open_incidents <= 1
        assert open_incidents == int(holds), (failures, quorum, threshold)
        assert (Monitor.objects.get(pk=monitor.pk).status == Monitor.Status.DOWN) == holds
    for incident in Incident.objects.filter(monitor=monitor):
        assert len(incident.evidence) >= quorum
        assert incident.cause.startswith(f"down from {len(incident.evidence)} of {regions}")
