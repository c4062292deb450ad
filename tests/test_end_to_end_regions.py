"""Two real region workers (UPTIME_REGION us and in, each consuming its own checks.<region>
queue and connecting from its own loopback address) and a real beat check one monitor
against one loopback target that can fail for one region's address only:

* failing in one region: degraded, no incident, no notification;
* failing in both: one incident with both regions' evidence, one notification per channel;
* one region recovering: the incident resolves (still degraded: down in the other);
* failing in both again, then one region's worker stopped: that region goes stale (it
  counts neither way); the open incident stays open and nothing more opens.
"""

import time

import pytest

from incidents.models import Incident
from monitors.models import Monitor, RegionState
from notifications.models import Delivery
from tests.factories import MonitorFactory, NotificationChannelFactory, UserFactory
from tests.support.pipeline import Pipeline

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

REGIONS = {"us": "127.0.0.2", "in": "127.0.0.3"}
PHASE_TIMEOUT_SECONDS = 45


def test_two_regions_decide_together(tmp_path, settings, target, receiver):
    settings.UPTIME_MIN_INTERVAL_SECONDS = 1
    owner = UserFactory()
    channels = [NotificationChannelFactory(owner=owner, config={"url": receiver.url})
                for _ in range(2)]
    monitor = MonitorFactory(owner=owner, url=target.url("/health"), regions=list(REGIONS),
                             interval_seconds=1, timeout_seconds=1, failure_threshold=2)
    incidents = Incident.objects.filter(monitor=monitor)

    def status() -> str:
        return Monitor.objects.get(pk=monitor.pk).status

    def state(region: str) -> RegionState:
        return RegionState.objects.get(monitor=monitor, region=region)

    with Pipeline(tmp_path, UPTIME_MIN_INTERVAL_SECONDS="1") as pipeline:
        workers = {
            region: pipeline.start_worker(queues=f"checks.{region}", UPTIME_REGION=region,
                                          UPTIME_SOURCE_ADDRESS=address)
            for region, address in REGIONS.items()
        }
        pipeline.wait_for(lambda: status() == Monitor.Status.UP,
                          timeout=PHASE_TIMEOUT_SECONDS, what="both regions up")

        # Down from "in" only.
        target.mode_for_peer[REGIONS["in"]] = "error"
        pipeline.wait_for(lambda: state("in").consecutive_failures >= 4,
                          timeout=PHASE_TIMEOUT_SECONDS, what="4 failures in 'in'")
        assert status() == Monitor.Status.DEGRADED
        assert not incidents.exists()

        # Down from both: one incident, both regions' evidence, one delivery per channel.
        target.mode_for_peer[REGIONS["us"]] = "error"
        incident = pipeline.wait_for(incidents.first, timeout=PHASE_TIMEOUT_SECONDS,
                                     what="the incident")
        assert status() == Monitor.Status.DOWN
        assert sorted(part["region"] for part in incident.evidence) == ["in", "us"]
        assert incident.cause.startswith("down from 2 of 2 regions (")
        pipeline.wait_for(
            lambda: Delivery.objects.filter(incident=incident, event="incident.opened",
                                            status="delivered").count() == len(channels),
            timeout=PHASE_TIMEOUT_SECONDS, what="incident.opened to each channel")

        # "us" recovers: fewer than the quorum (2 of 2) failing resolves it.
        del target.mode_for_peer[REGIONS["us"]]
        pipeline.wait_for(lambda: incidents.filter(resolved_at__isnull=False).exists(),
                          timeout=PHASE_TIMEOUT_SECONDS, what="the incident resolved")
        assert status() == Monitor.Status.DEGRADED
        assert incidents.count() == 1

        # Down from both again: a second incident. Then the "us" worker stops: "us" goes
        # stale after 3 intervals (it may still be down), and while "in" goes on failing
        # nothing resolves and nothing more opens.
        target.mode_for_peer[REGIONS["us"]] = "error"
        pipeline.wait_for(lambda: incidents.filter(resolved_at__isnull=True).exists(),
                          timeout=PHASE_TIMEOUT_SECONDS, what="the second incident")
        workers["us"].terminate()
        workers["us"].wait(timeout=20)
        pipeline.wait_for(lambda: state("us").is_stale(), timeout=PHASE_TIMEOUT_SECONDS,
                          what="'us' stale")
        failures = state("in").consecutive_failures
        pipeline.wait_for(lambda: state("in").consecutive_failures >= failures + 3,
                          timeout=PHASE_TIMEOUT_SECONDS, what="'in' checked on")
        time.sleep(1)
        assert status() == Monitor.Status.DOWN

    assert incidents.count() == 2
    assert incidents.filter(resolved_at__isnull=True).count() == 1
    assert Delivery.objects.filter(event="incident.opened").count() == 2 * len(channels)
    assert Delivery.objects.filter(event="incident.resolved").count() == len(channels)
