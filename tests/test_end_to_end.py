"""The whole pipeline with real processes: beat -> Redis -> worker -> DB -> webhook receiver."""

import time

import pytest

from incidents.models import Incident
from monitors.models import Monitor
from tests.factories import MonitorFactory, NotificationChannelFactory
from tests.support.pipeline import Pipeline

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def pipeline(tmp_path):
    with Pipeline(tmp_path, UPTIME_MIN_INTERVAL_SECONDS="1") as pipeline:
        yield pipeline


def test_a_target_going_down_and_up_gives_one_incident_and_two_webhooks(
    pipeline, target, receiver, settings
):
    settings.UPTIME_MIN_INTERVAL_SECONDS = 1
    monitor = MonitorFactory(
        url=target.url("/health"), interval_seconds=1, timeout_seconds=1, failure_threshold=2
    )
    NotificationChannelFactory(owner=monitor.owner, config={"url": receiver.url})

    def status():
        return Monitor.objects.get(pk=monitor.pk).status

    pipeline.wait_for(lambda: status() == "up", timeout=60, what="the first good check")

    target.take_down()
    pipeline.wait_for(lambda: receiver.events() == ["incident.opened"], timeout=30,
                      what="the incident.opened webhook")
    assert status() == "down"

    target.bring_up()
    both = ["incident.opened", "incident.resolved"]
    pipeline.wait_for(lambda: receiver.events() == both, timeout=30,
                      what="the incident.resolved webhook")

    incident = Incident.objects.get(monitor=monitor)
    assert incident.resolved_at is not None
    assert [e.kind for e in incident.events.all()] == ["opened", "resolved"]
    assert "refused" in incident.cause
    # Still exactly one incident and two webhooks a couple of checks later.
    time.sleep(2.5)
    assert Incident.objects.filter(monitor=monitor).count() == 1
    assert receiver.events() == ["incident.opened", "incident.resolved"]
