"""Case 12: Monitor.record + apply_check against a model of what they promise, over random
sequences of results, redelivered messages and checks recorded without a claim (hypothesis).

The model: failures count up and reset on success; at `failure_threshold` in a row an incident
opens, once; the first success resolves it; a degraded result is a success that makes the
status amber; a redelivered message (a task id already recorded) changes nothing. Every
incident has exactly one delivery per channel and event.
"""

import itertools

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from incidents.models import Incident
from monitors.checking import record_result
from monitors.models import CheckResult, Monitor
from monitors.outcomes import Outcome, ProbeResult
from notifications.models import Delivery
from tests.factories import MonitorFactory, NotificationChannelFactory

pytestmark = [pytest.mark.faults, pytest.mark.django_db]

FAILURES = [Outcome.TIMEOUT, Outcome.CONNECTION_REFUSED, Outcome.WRONG_STATUS,
            Outcome.ASSERTION_FAILED]
RESULTS = st.sampled_from([Outcome.OK, Outcome.DEGRADED, *FAILURES])
task_ids = itertools.count()


class RecordMachine(RuleBasedStateMachine):
    @initialize(threshold=st.integers(min_value=1, max_value=4))
    def make_monitor(self, threshold):
        self.monitor = MonitorFactory(failure_threshold=threshold)
        NotificationChannelFactory(owner=self.monitor.owner, config={"url": "http://127.0.0.1:9/"})
        self.threshold = threshold
        self.failures = 0
        self.status = Monitor.Status.UNKNOWN
        self.open = False
        self.opened = 0
        self.resolved = 0
        self.recorded = 0
        self.delivered_task_ids: list[str] = []

    def _expect(self, outcome: Outcome) -> None:
        self.recorded += 1
        if outcome in (Outcome.OK, Outcome.DEGRADED):
            self.failures = 0
            self.status = (Monitor.Status.DEGRADED if outcome == Outcome.DEGRADED
                           else Monitor.Status.UP)
            if self.open:
                self.open = False
                self.resolved += 1
            return
        self.failures += 1
        if self.failures >= self.threshold:
            self.status = Monitor.Status.DOWN
            if not self.open:
                self.open = True
                self.opened += 1
        elif self.status != Monitor.Status.DOWN:
            self.status = Monitor.Status.PENDING

    @rule(outcome=RESULTS)
    def a_claimed_check(self, outcome):
        task_id = f"task-{next(task_ids)}"
        monitor = Monitor.from_db("default", ["id"], [self.monitor.pk])
        assert monitor.claim_check(scheduled=False, task_id=task_id)
        stored = record_result(monitor.pk, ProbeResult(outcome, str(outcome)), task_id=task_id,
                               claimed=monitor)
        assert stored is not None
        self.delivered_task_ids.append(task_id)
        self._expect(outcome)

    @rule(outcome=RESULTS)
    def a_result_recorded_without_a_claim(self, outcome):
        # As a heartbeat's ping records: no claim, so the incident table is asked.
        assert record_result(self.monitor.pk, ProbeResult(outcome, str(outcome))) is not None
        self._expect(outcome)

    @rule(outcome=RESULTS, data=st.data())
    def a_redelivered_message(self, outcome, data):
        if not self.delivered_task_ids:
            return
        task_id = data.draw(st.sampled_from(self.delivered_task_ids))
        monitor = Monitor.from_db("default", ["id"], [self.monitor.pk])
        # The claim turns it away; recorded anyway (a claim raced), the unique task id does.
        assert not monitor.claim_check(scheduled=False, task_id=task_id)
        assert record_result(self.monitor.pk, ProbeResult(outcome, "again"),
                             task_id=task_id) is None

    @invariant()
    def the_monitor_matches_the_model(self):
        if not hasattr(self, "monitor"):
            return
        monitor = Monitor.objects.get(pk=self.monitor.pk)
        assert (monitor.status, monitor.consecutive_failures) == (self.status, self.failures)
        assert monitor.check_lease_until is None
        assert CheckResult.objects.filter(monitor=monitor).count() == self.recorded

    @invariant()
    def incidents_open_once_and_resolve_once(self):
        if not hasattr(self, "monitor"):
            return
        incidents = Incident.objects.filter(monitor=self.monitor)
        assert incidents.count() == self.opened
        assert incidents.filter(resolved_at__isnull=True).count() == int(self.open)
        assert incidents.filter(resolved_at__isnull=False).count() == self.resolved

    @invariant()
    def one_delivery_per_channel_and_event(self):
        if not hasattr(self, "monitor"):
            return
        deliveries = Delivery.objects.filter(incident__monitor=self.monitor)
        assert deliveries.filter(event="incident.opened").count() == self.opened
        assert deliveries.filter(event="incident.resolved").count() == self.resolved


def test_record_and_apply_check_keep_their_promises(fault_report):
    run_state_machine_as_test(RecordMachine, settings=settings(
        max_examples=60, stateful_step_count=30, deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    ))
    fault_report(
        "12 random results + redeliveries (hypothesis)",
        "status, counters, incidents, deliveries as the model says",
        "60 sequences of up to 30 steps: all as the model says",
    )
