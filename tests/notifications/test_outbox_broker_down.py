"""A broker that is away when deliveries are published loses nothing and costs one log line:
the rows stay pending for the outbox sweep."""

import logging

import pytest

from incidents.models import Incident
from notifications.models import Delivery
from notifications.outbox import enqueue
from tests.factories import MonitorFactory, NotificationChannelFactory
from tests.monitors.test_check_at_once import broker_down  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)


def test_deliveries_committed_with_the_broker_away_wait_for_the_sweep(
    broker_down, caplog  # noqa: F811
):
    monitor = MonitorFactory()
    NotificationChannelFactory.create_batch(2, owner=monitor.owner)
    incident = Incident.objects.create(monitor=monitor, cause="HTTP 503")

    with caplog.at_level(logging.WARNING, logger="notifications.outbox"):
        enqueue(incident, "incident.opened")  # publishes on commit: autocommit, at once

    assert Delivery.objects.filter(incident=incident, status="pending").count() == 2
    lines = [record for record in caplog.records if record.name == "notifications.outbox"]
    assert len(lines) == 1 and lines[0].exc_info is None
    assert "2 deliveries not published" in lines[0].getMessage()
    assert "the outbox sweep will" in lines[0].getMessage()
